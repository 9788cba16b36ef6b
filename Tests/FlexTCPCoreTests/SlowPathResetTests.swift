import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

/// Hand-made segments from B's address and MAC to stack A, injected on B's end of the wire.
struct RawPeer {
    let pair: StackPair

    func send(sourcePort: UInt16 = 4000, destinationPort: UInt16, sequence: UInt32, acknowledgment: UInt32 = 0,
              flags: TCPFlags, options: TCPOptions = TCPOptions(), payload: [UInt8] = [], source: IPv4Address = StackPair.addressB) throws {
        let segment = TCPSegmentRepr(sourcePort: sourcePort, destinationPort: destinationPort, sequenceNumber: SequenceNumber(sequence),
                                     acknowledgmentNumber: SequenceNumber(acknowledgment), flags: flags, window: 1000, options: options)
        #expect(pair.wire.b.transmit(try pair.link.frameToA(segment, payload: payload, source: source)))
    }

    /// The TCP segments A sent to B's end since the last call (B's stack must not be stepping).
    func receivedSegments() -> [TCPSegmentRepr] {
        pair.link.framesArrivedAtB().compactMap { headers in
            guard case let .ipv4(_, .tcp(segment)) = headers.network else { return nil }
            return segment
        }
    }
}

@Suite("Slow path resets and challenge ACKs")
struct SlowPathResetTests {
    @Test("Segments to unknown flows get RFC 9293 resets; a reset never gets one")
    func resetsForUnknownFlows() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try peer.send(destinationPort: 9, sequence: 1000, flags: .syn)
        try peer.send(destinationPort: 9, sequence: 2000, acknowledgment: 5555, flags: .ack, payload: Array(repeating: 1, count: 10))
        try peer.send(destinationPort: 9, sequence: 3000, flags: .rst)
        try peer.send(destinationPort: 9, sequence: 4000, acknowledgment: 777, flags: [.rst, .ack])
        try peer.send(destinationPort: 9, sequence: 5000, flags: .fin)
        pair.a.step(now: pair.now)
        let replies = peer.receivedSegments()
        #expect(replies.map(\.flags) == [[.rst, .ack], .rst, [.rst, .ack]])
        #expect(replies.map(\.acknowledgmentNumber.rawValue) == [1001, 0, 5001])
        #expect(replies.map(\.sequenceNumber.rawValue) == [0, 5555, 0])
        #expect(pair.a.slowPath.counters.segmentsToUnknownFlows == 5 && pair.a.slowPath.counters.resetsSent == 3)
    }

    @Test("RFC 5961: in-window RST and any SYN get a challenge ACK, out-of-window RST is ignored, exact RST aborts")
    func challengeAcknowledgments() throws {
        let pair = try StackPair()
        let (flowA, flowB) = try pair.connect()
        let peer = RawPeer(pair: pair)
        let stateA = try #require(pair.a.fastPath.state(of: flowA))
        let ports = (source: stateA.remotePort, destination: stateA.localPort)
        let expected = stateA.receiveNext.rawValue

        try peer.send(sourcePort: ports.source, destinationPort: ports.destination, sequence: expected &+ 100, flags: .rst)
        try peer.send(sourcePort: ports.source, destinationPort: ports.destination, sequence: expected &- 10, flags: .rst)
        try peer.send(sourcePort: ports.source, destinationPort: ports.destination, sequence: 12345, flags: .syn)
        pair.run(maximumRounds: 5)
        let counters = pair.a.slowPath.counters
        #expect(counters.challengeAcknowledgmentsSent == 2)
        #expect(counters.resetsIgnored == 1 && counters.resetsAccepted == 0)
        #expect(pair.a.slowPath.state(of: flowA) == .established)
        let data = StackPair.pattern(count: 50_000, seed: 6)
        #expect(pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB))

        let now = try #require(pair.a.fastPath.state(of: flowA)).receiveNext.rawValue
        try peer.send(sourcePort: ports.source, destinationPort: ports.destination, sequence: now, flags: .rst)
        pair.run(maximumRounds: 2)
        #expect(pair.a.slowPath.state(of: flowA) == nil && pair.a.fastPath.state(of: flowA) == nil)
        #expect(pair.a.events.last == .aborted(flow: flowA, opaque: 42, context: 0, reason: .resetByPeer))
    }

    @Test("A connection reset before it is accepted leaves the backlog")
    func resetBeforeAccept() throws {
        let pair = try StackPair()
        let flowA = try pair.connectUnaccepted(port: 8080)
        let stateA = try #require(pair.a.fastPath.state(of: flowA))
        try RawPeer(pair: pair).send(sourcePort: stateA.remotePort, destinationPort: 8080, sequence: stateA.receiveNext.rawValue,
                                     flags: .rst)
        pair.run(maximumRounds: 2)
        #expect(pair.a.events.last == .aborted(flow: flowA, opaque: 0, context: 0, reason: .resetByPeer))
        #expect(pair.a.slowPath.accept(port: 8080) == nil)
    }

    @Test("Garbage and truncated frames are counted, never trap, and leave an established flow working")
    func garbage() throws {
        let pair = try StackPair()
        let (flowA, flowB) = try pair.connect()
        var random = SeededRandom(seed: 9)
        let template = try FrameHeaders(
            ethernet: EthernetRepr(destination: pair.wire.a.macAddress, source: pair.wire.b.macAddress, etherType: .ipv4),
            network: .ipv4(IPv4Repr(source: StackPair.addressB, destination: StackPair.addressA, protocolNumber: .tcp, payloadLength: 0),
                           .tcp(TCPSegmentRepr(sourcePort: 80, destinationPort: 9, sequenceNumber: SequenceNumber(1), flags: .ack,
                                               window: 10, options: TCPOptions(maximumSegmentSize: 1000)))))
            .frame(payload: Array(repeating: 0xab, count: 30))
        for round in 0..<400 {
            var frame = template
            // Corrupt a few bytes past the Ethernet header, and sometimes cut the frame short.
            for _ in 0..<3 { frame[Int.random(in: 14..<frame.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            if round % 3 == 0 { frame.removeLast(Int.random(in: 0..<(frame.count - 14), using: &random)) }
            _ = pair.wire.b.transmit(frame)
            if round % 50 == 0 { pair.run(maximumRounds: 1) }
        }
        pair.run(maximumRounds: 5)
        let data = StackPair.pattern(count: 80_000, seed: 7)
        #expect(pair.transfer(data, from: pair.b, flow: flowB, to: pair.a, receiverFlow: flowA))
        #expect(pair.a.received[flowA] == data)
        let counters = pair.a.slowPath.counters
        #expect(counters.malformedSegments + counters.unsupportedSegments + counters.segmentsToUnknownFlows > 0)
    }
}
