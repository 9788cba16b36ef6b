@testable import FlexTCPCore
import FlexPort
import FlexWire
import Testing

private func setupError(_ configure: (inout NetworkHostConfiguration) -> Void) -> NetworkConfigurationError? {
    do {
        _ = try WireHarness(configure: configure)
        return nil
    } catch let error as NetworkConfigurationError {
        return error
    } catch {
        Issue.record("unexpected \(error)")
        return nil
    }
}

@Suite struct NetworkHostTests {
    @Test("settings out of range are refused when the host is made")
    func validatesConfiguration() {
        #expect(setupError { $0.arp.cacheCapacity = 0 } == .invalidSetting("ARP cache capacity must be 1...65536"))
        #expect(setupError { $0.arp.requestAttempts = 17 } != nil)
        #expect(setupError { $0.arp.firstRetryInterval = 0 } != nil)
        #expect(setupError { $0.arp.reachableTime = 0 } != nil)
        #expect(setupError { $0.arp.waitingFramesPerNeighbour = -1 } != nil)
        #expect(setupError { $0.echoRequestLimit = 0 } != nil)
        #expect(setupError { $0.eventCapacity = 0 } != nil)
        #expect(setupError { $0.timeToLive = 0 } != nil)
        #expect(setupError { $0.receiveBatchSize = 5000 } != nil)
        #expect(setupError { $0.gateway = Peer.offSubnet } == .gatewayOutsideSubnet(Peer.offSubnet))
        #expect(setupError { _ in } == nil)
    }

    @Test("poll reports the frames it received; statistics count them")
    func pollCountsFrames() throws {
        let harness = try WireHarness()
        for sequence in 1...3 { #expect(harness.peer.transmit(Frames.echoRequest(sequenceNumber: UInt16(sequence)))) }
        #expect(harness.host.poll(now: 0) == 3)
        #expect(harness.host.poll(now: 0) == 0)
        #expect(harness.sentFrames().count == 3)
        #expect(harness.host.statistics.receivedFrames == 3)
        #expect(harness.host.statistics.echoRequestsAnswered == 3)
    }

    @Test("VLAN-tagged and non-IP frames are counted drops")
    func unsupportedFrames() throws {
        let harness = try WireHarness()
        let tagged = try FrameHeaders(ethernet: EthernetRepr(destination: Peer.hostMAC, source: Peer.mac, etherType: .ipv4,
                                                             vlanTag: VLANTag(identifier: 5)),
                                      network: .other).frame(payload: Array(repeating: 0, count: 46))
        let other = try FrameHeaders(ethernet: EthernetRepr(destination: .broadcast, source: Peer.mac, etherType: EtherType(rawValue: 0x88cc)),
                                     network: .other).frame(payload: Array(repeating: 0, count: 46))
        harness.deliver(tagged, other)
        #expect(harness.drops[.unsupportedEtherType] == 2)
        #expect(harness.sentFrames().isEmpty)
    }

    @Test("replies the port has no slot for are counted drops")
    func transmitSlotsRunOut() throws {
        let harness = try WireHarness(capacity: 2, overflowCapacity: 0)
        for round in 0..<2 {
            for sequence in 0..<2 { #expect(harness.peer.transmit(Frames.echoRequest(sequenceNumber: UInt16(round * 2 + sequence)))) }
            harness.host.poll(now: 0)
        }
        #expect(harness.host.statistics.echoRequestsAnswered == 2)
        #expect(harness.drops[.transmitUnavailable] == 2)
        #expect(harness.sentFrames().count == 2)
    }

    @Test("a full event log counts what it could not keep")
    func eventsLost() throws {
        let harness = try WireHarness { $0.eventCapacity = 1 }
        harness.introducePeer()
        for sequence: UInt16 in 1...3 { try harness.host.sendEchoRequest(to: Peer.address, sequenceNumber: sequence, timeout: 10, now: 0) }
        harness.advance(to: 10)
        #expect(harness.events() == [.echoRequestTimedOut(destination: Peer.address, sequenceNumber: 1)])
        #expect(harness.host.statistics.eventsLost == 2)
        #expect(harness.host.statistics.echoRequestsTimedOut == 3)
    }

    @Test("send refuses frames the port cannot carry; a table full of resolutions drops")
    func sendLimits() throws {
        var arp = ARPConfiguration()
        arp.cacheCapacity = 1
        let harness = try WireHarness(arp: arp)
        let short = [UInt8](repeating: 0, count: 13)
        let long = [UInt8](repeating: 0, count: 1515)
        #expect(throws: NetworkError.unsendableFrameLength(13, maximum: 1514)) {
            try short.withUnsafeBytes { bytes throws(NetworkError) in try harness.host.send(bytes, to: Peer.address, now: 0) }
        }
        #expect(throws: NetworkError.unsendableFrameLength(1515, maximum: 1514)) {
            try long.withUnsafeBytes { bytes throws(NetworkError) in try harness.host.send(bytes, to: Peer.address, now: 0) }
        }
        let frame = [UInt8](repeating: 0, count: 60)
        let first = try frame.withUnsafeBytes { bytes throws(NetworkError) in try harness.host.send(bytes, to: Peer.address, now: 0) }
        let second = try frame.withUnsafeBytes { bytes throws(NetworkError) in try harness.host.send(bytes, to: Peer.otherAddress, now: 0) }
        #expect(first == .waitingForNeighbour)
        #expect(second == .dropped(.neighbourTableFull))
        #expect(harness.drops[.neighbourTableFull] == 1)
    }

    @Test("run polls until asked to stop, answering what arrives")
    func runUntilStopped() throws {
        let harness = try WireHarness()
        #expect(harness.peer.transmit(Frames.arp(.request, from: (Peer.mac, Peer.address), to: (.zero, Peer.hostAddress))))
        var rounds = 0
        harness.host.run(clock: MonotonicTimeSource(), maximumWait: 1_000_000) {
            rounds += 1
            return rounds > 3
        }
        #expect(rounds == 4)
        #expect(harness.sentFrames().count == 1)
        #expect(harness.host.statistics.arpRequestsAnswered == 1)
    }

    @Test("run returns at once when its deadline has passed")
    func runUntilDeadline() throws {
        let harness = try WireHarness()
        let clock = VirtualTimeSource(start: 5)
        harness.host.run(clock: clock, until: 5) { false }
        #expect(harness.host.statistics.receivedFrames == 0)
    }

    @Test("every drop reason has a name, and counts sum up")
    func dropReasonNames() throws {
        #expect(Set(DropReason.allCases.map(\.description)).count == DropReason.allCases.count)
        let harness = try WireHarness()
        harness.deliver(Frames.echoRequest(to: Peer.subnetBroadcast), Frames.echoRequest(to: Peer.otherAddress))
        #expect(harness.drops.total == 2)
        #expect(harness.drops.nonZero.map(\.reason) == [.notForThisHost, .broadcastOrMulticast])
    }
}
