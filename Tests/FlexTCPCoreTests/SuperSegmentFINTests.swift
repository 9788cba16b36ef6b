import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

/// A FIN on a super-segment (Linux GSO/GRO over veth hands AF_PACKET frames of up to 64 KiB) must be
/// taken at once wherever it lands: in order on an established flow (fast path), out of order after
/// a gap, on the ACK that completes a handshake, or again after our ACK was lost (slow path).
@Suite("FIN on super-segments")
struct SuperSegmentFINTests {
    static let frameLength = 16 * 1024

    /// A's established flow with B, B's stack switched off; a raw peer speaks for B from here on.
    private static func quietPeer() throws -> (StackPair, RawPeer, FlowIndex, FlowState) {
        let pair = try StackPair(superSegmentsUpTo: frameLength)
        let (flowA, _) = try pair.connect()
        return (pair, RawPeer(pair: pair), flowA, try #require(pair.a.fastPath.state(of: flowA)))
    }

    /// Sends `payload` at `offset` into B's stream (as seen by `state`), with `flags`.
    private static func send(_ peer: RawPeer, _ state: FlowState, offset: UInt32, payload: ArraySlice<UInt8>,
                             flags: TCPFlags) throws {
        try peer.send(sourcePort: state.remotePort, destinationPort: state.localPort, sequence: (state.receiveNext + offset).rawValue,
                      acknowledgment: state.sendNext.rawValue, flags: flags, payload: Array(payload))
    }

    @Test("a sender whose segments outgrow our MTU closes with a FIN on a super-segment; it is taken without retransmission")
    func endToEnd() throws {
        let pair = try StackPair(superSegmentsUpTo: Self.frameLength)
        let (flowA, flowB) = try pair.connect()
        // B stands for a GSO sender: its segments arrive merged, far beyond the MSS A announced.
        pair.b.fastPath.update(flow: flowB) { $0.maximumSegmentSize = 9000 }
        // Queued and closed at once: 4 × 9000 bytes, then 4000 bytes with the FIN.
        let data = StackPair.pattern(count: 40_000, seed: 31)
        #expect(pair.b.send(data[...], on: flowB, now: pair.now) == data.count)
        #expect(pair.b.slowPath.close(flow: flowB, now: pair.now))
        #expect(pair.run { pair.b.slowPath.state(of: flowB) == .finWait2 })
        #expect(pair.a.events.contains(.peerClosed(flow: flowA, opaque: 42, context: 0)))
        #expect(pair.a.received[flowA] == data)
        let port = try #require(pair.a.port as? SuperSegmentPort)
        #expect(port.superSegmentsWithFIN == 1, "the FIN rode on a super-segment exactly once: never retransmitted")
        #expect(pair.b.slowPath.counters.retransmissionTimeouts == 0)
    }

    @Test("a super-segment with FIN beyond a gap is held; the FIN is taken when the gap fills")
    func outOfOrder() throws {
        let (pair, peer, flow, state) = try Self.quietPeer()
        let data = StackPair.pattern(count: 9000, seed: 32)
        try Self.send(peer, state, offset: 3000, payload: data[3000...], flags: [.ack, .fin])
        pair.a.step(now: pair.now)
        let held = try #require(peer.receivedSegments().last)
        #expect(held.acknowledgmentNumber == state.receiveNext)
        #expect(Array(held.options.sackBlocks) == [TCPSACKBlock(leftEdge: state.receiveNext + 3000, rightEdge: state.receiveNext + 9000)])

        try Self.send(peer, state, offset: 0, payload: data[..<3000], flags: .ack)
        pair.a.step(now: pair.now)
        let filled = try #require(peer.receivedSegments().last)
        #expect(filled.acknowledgmentNumber == state.receiveNext + 9001, "data and FIN acknowledged together")
        #expect(filled.options.sackBlocks.isEmpty)
        #expect(pair.a.received[flow] == data)
        #expect(pair.a.events.contains(.peerClosed(flow: flow, opaque: 42, context: 0)))
        #expect(pair.a.slowPath.state(of: flow) == .closeWait)
    }

    @Test("a retransmitted super-segment with FIN is acknowledged again by the slow path")
    func retransmission() throws {
        let (pair, peer, flow, state) = try Self.quietPeer()
        let data = StackPair.pattern(count: 12_000, seed: 33)
        try Self.send(peer, state, offset: 0, payload: data[...], flags: [.ack, .fin])
        pair.a.step(now: pair.now)
        #expect(peer.receivedSegments().last?.acknowledgmentNumber == state.receiveNext + 12_001)
        try Self.send(peer, state, offset: 0, payload: data[...], flags: [.ack, .fin])
        pair.a.step(now: pair.now)
        #expect(peer.receivedSegments().map(\.acknowledgmentNumber) == [state.receiveNext + 12_001])
        #expect(pair.a.received[flow] == data)
        #expect(pair.a.slowPath.counters.finsReceived == 1)
    }

    @Test("data and FIN on a super-segment completing a handshake are delivered and the FIN taken")
    func onHandshakeAcknowledgment() throws {
        let pair = try StackPair(superSegmentsUpTo: Self.frameLength)
        let peer = RawPeer(pair: pair)
        try pair.a.slowPath.listen(port: 8080, backlog: 4, opaque: 9)
        try peer.send(sourcePort: 5000, destinationPort: 8080, sequence: 100, flags: .syn,
                      options: TCPOptions(maximumSegmentSize: 1460))
        pair.a.step(now: pair.now)
        let synAck = try #require(peer.receivedSegments().first)
        let data = StackPair.pattern(count: 5000, seed: 34)
        try peer.send(sourcePort: 5000, destinationPort: 8080, sequence: 101, acknowledgment: (synAck.sequenceNumber + 1).rawValue,
                      flags: [.ack, .psh, .fin], payload: data)
        pair.a.step(now: pair.now)
        let flow = try #require(pair.a.slowPath.accept(port: 8080))
        #expect(pair.a.received[flow] == data)
        #expect(peer.receivedSegments().last?.acknowledgmentNumber == SequenceNumber(101 + 5000 + 1))
        #expect(pair.a.events.contains(.peerClosed(flow: flow, opaque: 9, context: 0)))
    }
}
