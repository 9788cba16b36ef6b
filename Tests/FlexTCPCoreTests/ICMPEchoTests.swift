@testable import FlexTCPCore
import FlexPort
import FlexWire
import Testing

/// `frame` with the byte at `offset` changed by `change`.
private func altered(_ frame: [UInt8], at offset: Int, _ change: (UInt8) -> UInt8) -> [UInt8] {
    var frame = frame
    frame[offset] = change(frame[offset])
    return frame
}

private let ipStart = 14
private let icmpStart = 34

@Suite struct ICMPEchoTests {
    @Test("an echo request is answered byte-exactly: identifier, sequence number and data copied")
    func answersEchoRequest() throws {
        let harness = try WireHarness()
        let payload = (0..<100).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        harness.deliver(Frames.echoRequest(sequenceNumber: 7, identifier: 0x1234, payload: payload))
        let ip = IPv4Repr(source: Peer.hostAddress, destination: Peer.address, protocolNumber: .icmp, payloadLength: 0,
                          timeToLive: 64, identification: 0)
        let expected = try FrameHeaders(ethernet: EthernetRepr(destination: Peer.mac, source: Peer.hostMAC, etherType: .ipv4),
                                        network: .ipv4(ip, .icmp(.echoReply(identifier: 0x1234, sequenceNumber: 7))))
            .frame(payload: payload)
        #expect(harness.sentFrames() == [expected])
        #expect(harness.host.statistics.echoRequestsAnswered == 1)
        #expect(harness.drops.total == 0)
    }

    @Test("a short echo is answered padded to the Ethernet minimum; an empty one too")
    func answersShortEcho() throws {
        let harness = try WireHarness()
        harness.deliver(Frames.echoRequest(payload: []))
        let reply = try #require(harness.sentFrames().first)
        #expect(reply.count == 60)
        #expect(Frames.icmpMessage(in: reply)?.icmp == .echoReply(identifier: 0x1234, sequenceNumber: 1))
        #expect(reply[42...].allSatisfy { $0 == 0 })
    }

    @Test("never answered, and counted under their reason", arguments: [
        (Frames.echoRequest(to: Peer.subnetBroadcast), DropReason.broadcastOrMulticast),
        (Frames.echoRequest(to: .broadcast), .broadcastOrMulticast),
        (Frames.echoRequest(to: IPv4Address(224, 0, 0, 1)), .broadcastOrMulticast),
        (Frames.echoRequest(ethernetDestination: .broadcast), .broadcastOrMulticast),
        (Frames.echoRequest(ethernetDestination: MACAddress(0x01, 0, 0x5e, 0, 0, 1)), .broadcastOrMulticast),
        (Frames.echoRequest(to: Peer.otherAddress), .notForThisHost),
        (Frames.echoRequest(ethernetDestination: Peer.otherMAC), .notForThisHost),
        (Frames.echoRequest(from: Peer.offSubnet), .noRouteToSource),
        (Frames.echoRequest(from: .any), .noRouteToSource),
        (Frames.echoRequest(from: Peer.subnetBroadcast), .noRouteToSource),
        (altered(Frames.echoRequest(), at: icmpStart + 8) { $0 ^ 0x01 }, .badICMPChecksum),
        (altered(Frames.echoRequest(), at: ipStart + 8) { $0 &- 1 }, .badIPv4Checksum),
        (Frames.icmp(.other(type: 3, code: 1, restOfHeader: 0), payload: Array(repeating: 0x45, count: 28)), .icmpError),
        (Frames.icmp(.other(type: 11, code: 0, restOfHeader: 0)), .icmpError),
        (Frames.icmp(.other(type: 13, code: 0, restOfHeader: 0)), .icmpUnsupportedType),
        (Frames.icmp(.other(type: 8, code: 1, restOfHeader: 0)), .icmpUnsupportedType),
        (Frames.icmp(.echoReply(identifier: 0x4654, sequenceNumber: 1)), .unmatchedEchoReply),
    ])
    func unansweredMessages(frame: [UInt8], reason: DropReason) throws {
        let harness = try WireHarness()
        harness.deliver(frame)
        #expect(harness.sentFrames().isEmpty)
        #expect(harness.drops[reason] == 1)
        #expect(harness.drops.total == 1)
    }

    @Test("malformed and unsupported IPv4 is a counted drop")
    func malformedIPv4() throws {
        let request = Frames.echoRequest()
        var truncatedICMP = Array(request[0..<38])        // 4 ICMP bytes
        truncatedICMP[ipStart + 3] = 24                    // total length 24
        truncatedICMP[ipStart + 10] = 0
        truncatedICMP[ipStart + 11] = 0
        let checksum = truncatedICMP[ipStart..<ipStart + 20].withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: 20) }
        truncatedICMP[ipStart + 10] = UInt8(checksum >> 8)
        truncatedICMP[ipStart + 11] = UInt8(checksum & 0xff)
        var fragment = request
        fragment[ipStart + 6] = 0x1f                       // offset 65 528: a fragment past the largest datagram
        fragment[ipStart + 7] = 0xff
        fragment[ipStart + 10] = 0
        fragment[ipStart + 11] = 0
        let fragmentChecksum = fragment[ipStart..<ipStart + 20].withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: 20) }
        fragment[ipStart + 10] = UInt8(fragmentChecksum >> 8)
        fragment[ipStart + 11] = UInt8(fragmentChecksum & 0xff)
        let udp = Frames.padded(try FrameHeaders(
            ethernet: EthernetRepr(destination: Peer.hostMAC, source: Peer.mac, etherType: .ipv4),
            network: .ipv4(IPv4Repr(source: Peer.address, destination: Peer.hostAddress, protocolNumber: .udp, payloadLength: 0),
                           .udp(UDPRepr(sourcePort: 1, destinationPort: 7)))).frame(payload: [1, 2, 3]))
        let ipv6 = altered(altered(request, at: 12) { _ in 0x86 }, at: 13) { _ in 0xdd }
        let cases: [([UInt8], DropReason)] = [
            (Array(request[0..<30]), .malformed),                       // 16 of 20 IPv4 header bytes
            (altered(request, at: ipStart) { _ in 0x65 }, .malformed),  // version 6
            (altered(request, at: ipStart) { _ in 0x44 }, .malformed),  // header length 16
            (altered(request, at: ipStart + 2) { _ in 0xff }, .malformed),  // total length beyond the frame
            (truncatedICMP, .malformed),
            (fragment, .ipFragment),
            (udp, .unsupportedProtocol),
            (ipv6, .unsupportedEtherType),
            (Array(request[0..<13]), .malformed),
        ]
        for (frame, reason) in cases {
            let harness = try WireHarness()
            harness.deliver(frame)
            #expect(harness.sentFrames().isEmpty)
            #expect(harness.drops[reason] == 1, "\(reason)")
        }
    }

    @Test("with a gateway, an echo request from off the subnet is answered back to its Ethernet source")
    func answersThroughGateway() throws {
        let harness = try WireHarness(gateway: Peer.gateway)
        harness.deliver(Frames.echoRequest(from: Peer.offSubnet))
        let reply = try #require(harness.sentFrames().first.flatMap(Frames.icmpMessage))
        #expect(reply.ip.destination == Peer.offSubnet)
        #expect(reply.ethernet.destination == Peer.mac)
    }

    @Test("a checksum the port reports as verified or left to offload is not checked again")
    func trustsPortChecksumFlags() throws {
        let harness = try WireHarness()
        var frame = altered(Frames.echoRequest(), at: icmpStart + 2) { $0 ^ 0xff }
        for flags: FrameFlags in [.checksumVerified, .checksumPartial, []] {
            frame.withUnsafeMutableBytes { bytes in
                harness.host.handleFrame(Frame(bytes: bytes.baseAddress!, length: bytes.count, capacity: bytes.count, flags: flags), now: 0)
            }
        }
        harness.host.flushTransmits()
        #expect(harness.sentFrames().count == 2)
        #expect(harness.drops[.badICMPChecksum] == 1)
    }

    @Test("ping: the request carries the host's identifier and data; the reply is matched once with its round trip")
    func pingsPeer() throws {
        let harness = try WireHarness()
        harness.introducePeer()
        harness.clock.set(to: 5 * Peer.millisecond)
        #expect(try harness.host.sendEchoRequest(to: Peer.address, sequenceNumber: 9, payloadLength: 24, now: harness.now) == .sent)
        let request = try #require(harness.sentFrames().first)
        let message = try #require(Frames.icmpMessage(in: request))
        #expect(message.icmp == .echoRequest(identifier: 0x4654, sequenceNumber: 9))
        #expect(message.ethernet.destination == Peer.mac && message.ip.destination == Peer.address)
        #expect(Array(request[42..<66]) == Array(0..<24))
        #expect(harness.host.outstandingEchoRequests == 1)

        harness.clock.set(to: 5 * Peer.millisecond + 250_000)
        let reply = Frames.icmp(.echoReply(identifier: 0x4654, sequenceNumber: 9), payload: Array(0..<24), timeToLive: 61)
        harness.deliver(reply, reply)
        #expect(harness.events() == [.echoReplyReceived(EchoReply(source: Peer.address, sequenceNumber: 9, payloadLength: 24,
                                                                 timeToLive: 61, roundTripTime: 250_000))])
        #expect(harness.drops[.unmatchedEchoReply] == 1, "the duplicate")
        #expect(harness.host.outstandingEchoRequests == 0)
        harness.deliver(Frames.icmp(.echoReply(identifier: 0x9999, sequenceNumber: 9)))
        #expect(harness.drops[.unmatchedEchoReply] == 2, "another identifier")
    }

    @Test("an echo request without a reply times out at exactly its deadline")
    func pingTimesOut() throws {
        let harness = try WireHarness()
        harness.introducePeer()
        try harness.host.sendEchoRequest(to: Peer.address, sequenceNumber: 1, timeout: 300 * Peer.millisecond, now: 0)
        #expect(harness.host.nextDeadline == 300 * Peer.millisecond)
        harness.advance(to: 300 * Peer.millisecond - 1)
        #expect(harness.events().isEmpty)
        harness.advance(to: 300 * Peer.millisecond)
        #expect(harness.events() == [.echoRequestTimedOut(destination: Peer.address, sequenceNumber: 1)])
        #expect(harness.host.statistics.echoRequestsTimedOut == 1)
        #expect(harness.host.nextDeadline == .max)
    }

    @Test("sendEchoRequest refuses what it cannot send, sending nothing")
    func echoRequestErrors() throws {
        let harness = try WireHarness { $0.echoRequestLimit = 2 }
        func error(_ destination: IPv4Address, sequenceNumber: UInt16 = 1, payloadLength: Int = 56) -> NetworkError? {
            do {
                try harness.host.sendEchoRequest(to: destination, sequenceNumber: sequenceNumber, payloadLength: payloadLength, now: 0)
                return nil
            } catch {
                return error
            }
        }
        #expect(error(Peer.offSubnet) == .noRoute(Peer.offSubnet))
        #expect(error(Peer.subnetBroadcast) == .notUnicast(Peer.subnetBroadcast))
        #expect(error(Peer.hostAddress) == .ownAddress(Peer.hostAddress))
        #expect(error(Peer.address, payloadLength: 1473) == .unsendableFrameLength(1515, maximum: 1514))
        #expect(error(Peer.address, payloadLength: -1) == .unsendableFrameLength(42, maximum: 1514))
        #expect(harness.sentFrames().isEmpty)
        #expect(error(Peer.address, sequenceNumber: 1, payloadLength: 1472) == nil)
        #expect(error(Peer.address, sequenceNumber: 1) == .echoRequestOutstanding(Peer.address, sequenceNumber: 1))
        #expect(error(Peer.address, sequenceNumber: 2) == nil)
        #expect(error(Peer.address, sequenceNumber: 3) == .tooManyOutstandingEchoRequests(limit: 2))
    }
}
