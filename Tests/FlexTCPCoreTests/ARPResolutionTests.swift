@testable import FlexTCPCore
import FlexPort
import FlexWire
import Testing

/// An IPv4 frame (ICMP echo request) from the host to `destination`, with placeholder Ethernet addresses.
private func outgoingFrame(_ marker: UInt16, to destination: IPv4Address = Peer.address) -> [UInt8] {
    Frames.icmp(.echoRequest(identifier: 9, sequenceNumber: marker), payload: Array(repeating: 0xab, count: 20),
                from: Peer.hostAddress, to: destination, ethernetDestination: .zero, ethernetSource: .zero)
}

private func send(_ frame: [UInt8], to destination: IPv4Address = Peer.address, on harness: WireHarness) throws -> SendOutcome {
    try frame.withUnsafeBytes { bytes throws(NetworkError) in try harness.host.send(bytes, to: destination, now: harness.now) }
}

@Suite struct ARPResolutionTests {
    @Test("answers an ARP request for its address byte-exactly and learns the asker")
    func answersRequest() throws {
        let harness = try WireHarness()
        harness.deliver(Frames.arp(.request, from: (Peer.mac, Peer.address), to: (.zero, Peer.hostAddress)))
        let expected = Frames.arp(.reply, from: (Peer.hostMAC, Peer.hostAddress), to: (Peer.mac, Peer.address),
                                  ethernetDestination: Peer.mac, ethernetSource: Peer.hostMAC)
        #expect(harness.sentFrames() == [expected])
        #expect(harness.host.neighbour(for: Peer.address, now: harness.now)?.hardwareAddress == Peer.mac)
        #expect(harness.host.statistics.arpRequestsAnswered == 1)
        #expect(harness.drops.total == 0)
    }

    @Test("an ARP request for another address is not answered and teaches nothing new")
    func ignoresRequestForOthers() throws {
        let harness = try WireHarness()
        harness.deliver(Frames.arp(.request, from: (Peer.mac, Peer.address), to: (.zero, Peer.otherAddress)))
        #expect(harness.sentFrames().isEmpty)
        #expect(harness.host.neighbour(for: Peer.address, now: harness.now) == nil)
        #expect(harness.drops[.arpForOtherHost] == 1)
    }

    @Test("an ARP packet for another address still updates a sender already known (RFC 826 merge)")
    func mergesKnownSenderFromAnyPacket() throws {
        let harness = try WireHarness()
        harness.introducePeer()
        harness.clock.advance(by: 5 * Peer.millisecond)
        harness.deliver(Frames.arp(.request, from: (Peer.otherMAC, Peer.address), to: (.zero, Peer.otherAddress)))
        let neighbour = harness.host.neighbour(for: Peer.address, now: harness.now)
        #expect(neighbour?.hardwareAddress == Peer.otherMAC)
        #expect(neighbour?.updatedAt == 5 * Peer.millisecond)
        #expect(harness.drops.total == 0)
        #expect(harness.sentFrames().isEmpty)
    }

    @Test("an unsolicited ARP reply to us is learned; one to another host is not")
    func learnsRepliesAddressedToUs() throws {
        let harness = try WireHarness()
        harness.deliver(Frames.arp(.reply, from: (Peer.otherMAC, Peer.otherAddress), to: (Peer.mac, Peer.address),
                                   ethernetDestination: Peer.mac))
        #expect(harness.drops[.notForThisHost] == 1, "another host's unicast frame")
        harness.deliver(Frames.arp(.reply, from: (Peer.mac, Peer.address), to: (Peer.hostMAC, Peer.hostAddress),
                                   ethernetDestination: Peer.hostMAC))
        #expect(harness.host.neighbour(for: Peer.address, now: harness.now)?.state == .reachable)
        #expect(harness.host.neighbour(for: Peer.otherAddress, now: harness.now) == nil)
        #expect(harness.host.statistics.arpRepliesReceived == 1)
        #expect(harness.sentFrames().isEmpty, "replies are never answered")
    }

    @Test("an address probe (sender 0.0.0.0, RFC 5227) for our address is answered but teaches nothing")
    func answersProbes() throws {
        let harness = try WireHarness()
        harness.deliver(Frames.arp(.request, from: (Peer.mac, .any), to: (.zero, Peer.hostAddress)))
        let reply = try #require(harness.sentFrames().first.flatMap(Frames.arpPacket))
        #expect(reply.operation == .reply && reply.targetHardwareAddress == Peer.mac && reply.targetProtocolAddress == .any)
        #expect(harness.host.neighbours(now: harness.now).isEmpty)
    }

    @Test("announces its own address with a gratuitous ARP request")
    func announces() throws {
        let harness = try WireHarness()
        harness.host.announce()
        let expected = Frames.arp(.request, from: (Peer.hostMAC, Peer.hostAddress), to: (.zero, Peer.hostAddress),
                                  ethernetSource: Peer.hostMAC)
        #expect(harness.sentFrames() == [expected])
        #expect(harness.host.statistics.arpAnnouncementsSent == 1)
    }

    @Test("resolution: one request, retries at exactly 100 and 300 ms, failure at exactly 700 ms; waiting frames dropped")
    func retriesWithBackOffThenFails() throws {
        let harness = try WireHarness()
        harness.clock.set(to: 1_000 * Peer.millisecond)
        let start = harness.now
        #expect(try send(outgoingFrame(1), on: harness) == .waitingForNeighbour)
        #expect(try send(outgoingFrame(2), on: harness) == .waitingForNeighbour)
        #expect(harness.sentFrames().filter { Frames.isARPRequest($0, for: Peer.address) }.count == 1)
        // Polled a nanosecond before and exactly at each due time: a retry at 100 and 300 ms, the failure at 700 ms.
        var requestsAt: [UInt64] = []
        var eventsAt: [UInt64: [NetworkEvent]] = [:]
        for due: UInt64 in [100, 300, 700] {
            for offset in [due * Peer.millisecond - 1, due * Peer.millisecond] {
                harness.advance(to: start + offset)
                for frame in harness.sentFrames() {
                    #expect(Frames.isARPRequest(frame, for: Peer.address), "only ARP requests go out")
                    requestsAt.append(offset)
                }
                let events = harness.events()
                if !events.isEmpty { eventsAt[offset] = events }
            }
        }
        harness.advance(to: start + 2_000 * Peer.millisecond)
        #expect(harness.sentFrames().isEmpty, "nothing after the failure")
        #expect(requestsAt == [100 * Peer.millisecond, 300 * Peer.millisecond])
        #expect(eventsAt == [700 * Peer.millisecond: [.neighbourUnreachable(Peer.address, requestsSent: 3, droppedFrames: 2)]])
        #expect(harness.drops[.neighbourUnreachable] == 2)
        #expect(harness.host.neighbour(for: Peer.address, now: harness.now) == nil)
        #expect(harness.host.statistics.arpRequestsSent == 3)
        #expect(harness.host.statistics.neighbourResolutionsFailed == 1)
    }

    @Test("retry count and interval follow the configuration")
    func configuredBackOff() throws {
        var arp = ARPConfiguration()
        arp.requestAttempts = 2
        arp.firstRetryInterval = 40 * Peer.millisecond
        let harness = try WireHarness(arp: arp)
        #expect(try harness.host.resolveNeighbour(for: Peer.address, now: 0) == .pending)
        harness.advance(to: 40 * Peer.millisecond - 1)
        #expect(harness.sentFrames().count == 1)
        harness.advance(to: 40 * Peer.millisecond)
        #expect(harness.sentFrames().count == 1, "the second and last request")
        harness.advance(to: 120 * Peer.millisecond - 1)
        #expect(harness.events().isEmpty)
        harness.advance(to: 120 * Peer.millisecond)
        #expect(harness.events() == [.neighbourUnreachable(Peer.address, requestsSent: 2, droppedFrames: 0)])
    }

    @Test("frames waiting for a resolution go out in order on the reply; beyond four per neighbour they are dropped")
    func waitingFramesFlushedOnReply() throws {
        let harness = try WireHarness()
        let frames = (1...6).map { outgoingFrame(UInt16($0)) }
        let outcomes = try frames.map { try send($0, on: harness) }
        #expect(outcomes == [.waitingForNeighbour, .waitingForNeighbour, .waitingForNeighbour, .waitingForNeighbour,
                             .dropped(.waitingQueueFull), .dropped(.waitingQueueFull)])
        #expect(harness.sentFrames().count == 1, "one ARP request for all of them")
        harness.advance(to: 3 * Peer.millisecond)
        harness.deliver(Frames.arp(.reply, from: (Peer.mac, Peer.address), to: (Peer.hostMAC, Peer.hostAddress),
                                   ethernetDestination: Peer.hostMAC))
        let flushed = harness.sentFrames()
        let expected = frames[0..<4].map { frame in Peer.mac.bytes + Peer.hostMAC.bytes + frame[12...] }
        #expect(flushed == Array(expected))
        #expect(harness.events() == [.neighbourResolved(Peer.address, Peer.mac, requestsSent: 1, elapsed: 3 * Peer.millisecond)])
        #expect(harness.drops[.waitingQueueFull] == 2)
        #expect(harness.host.statistics.framesSent == 4)
        #expect(try send(outgoingFrame(7), on: harness) == .sent, "now known: sent at once")
    }

    @Test("a stale neighbour is still used while it is re-resolved; no answer removes it")
    func staleNeighbourReResolved() throws {
        var arp = ARPConfiguration()
        arp.reachableTime = 1_000 * Peer.millisecond
        let harness = try WireHarness(arp: arp)
        harness.introducePeer()
        harness.advance(to: 1_000 * Peer.millisecond)
        #expect(try send(outgoingFrame(1), on: harness) == .sent)
        let sent = harness.sentFrames()
        #expect(sent.count == 2)
        #expect(sent.contains { Frames.isARPRequest($0, for: Peer.address) })
        #expect(sent.contains { Frames.icmpMessage(in: $0)?.ethernet.destination == Peer.mac })
        #expect(harness.host.neighbour(for: Peer.address, now: harness.now)?.state == .probing)
        harness.advance(to: 1_100 * Peer.millisecond)
        harness.advance(to: 1_300 * Peer.millisecond)
        #expect(harness.sentFrames().filter { Frames.isARPRequest($0, for: Peer.address) }.count == 2)
        harness.advance(to: 1_700 * Peer.millisecond - 1)
        #expect(harness.host.neighbour(for: Peer.address, now: harness.now)?.state == .probing)
        harness.advance(to: 1_700 * Peer.millisecond)
        #expect(harness.events() == [.neighbourUnreachable(Peer.address, requestsSent: 3, droppedFrames: 0)])
        #expect(harness.host.neighbour(for: Peer.address, now: harness.now) == nil)
    }

    @Test("resolveNeighbour: pending, then the next hop's address; the gateway's for destinations off the subnet")
    func resolveNeighbourAPI() throws {
        let harness = try WireHarness(gateway: Peer.gateway)
        #expect(try harness.host.resolveNeighbour(for: Peer.offSubnet, now: 0) == .pending)
        #expect(harness.sentFrames().contains { Frames.isARPRequest($0, for: Peer.gateway) })
        #expect(try harness.host.resolveNeighbour(for: Peer.offSubnet, now: 1) == .pending)
        #expect(harness.sentFrames().isEmpty, "no second request while one is out")
        harness.deliver(Frames.arp(.reply, from: (Peer.otherMAC, Peer.gateway), to: (Peer.hostMAC, Peer.hostAddress),
                                   ethernetDestination: Peer.hostMAC, ethernetSource: Peer.otherMAC))
        #expect(try harness.host.resolveNeighbour(for: Peer.offSubnet, now: 2) == .resolved(Peer.otherMAC))
        #expect(throws: NetworkError.noRoute(Peer.offSubnet)) {
            _ = try WireHarness().host.resolveNeighbour(for: Peer.offSubnet, now: 0)
        }
    }
}
