import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

extension WirePair where End == TestStack {
    /// A connects to B's `port` (B listening with backlog 4), closes first, B closes after; runs
    /// until A reported the connection closed. Returns A's 4-tuple.
    func connectAndCloseFirst(port: UInt16 = 80, opaque: UInt64) throws -> FlowKey {
        let flowA = try a.slowPath.connect(to: Self.addressB, port: port, opaque: opaque, now: now)
        var accepted: FlowIndex?
        #expect(run {
            if accepted == nil { accepted = b.slowPath.accept(port: port) }
            return accepted != nil && a.slowPath.state(of: flowA) == .established
        })
        let flowB = try #require(accepted)
        let key = try #require(a.slowPath.connections[Int(flowA)]?.key)
        #expect(a.slowPath.close(flow: flowA, now: now))
        #expect(run { b.slowPath.state(of: flowB) == .closeWait })
        #expect(b.slowPath.close(flow: flowB, now: now))
        #expect(run { a.events.last == .closed(flow: flowA, opaque: opaque, context: 0) })
        return key
    }

    /// B connects to A's port 80, A closes first and B after: A ends in TIME_WAIT. Returns A's flow
    /// and its numbers in TIME_WAIT; B stops stepping (a `RawPeer` plays it from here).
    func closeFirstOnA() throws -> (FlowIndex, FlowState) {
        try a.slowPath.listen(port: 80, backlog: 4)
        let flowB = try b.slowPath.connect(to: Self.addressA, port: 80, now: now)
        var accepted: FlowIndex?
        #expect(run {
            if accepted == nil { accepted = a.slowPath.accept(port: 80) }
            return accepted != nil && b.slowPath.state(of: flowB) == .established
        })
        let flowA = try #require(accepted)
        #expect(transfer(Array(repeating: 5, count: 1000), from: b, flow: flowB, to: a, receiverFlow: flowA))
        #expect(a.slowPath.close(flow: flowA, now: now))
        #expect(run { a.slowPath.state(of: flowA) == .finWait2 && b.slowPath.state(of: flowB) == .closeWait })
        // TIME_WAIT gives the flow back: its numbers as of FIN-WAIT-2, RCV.NXT past the peer's FIN.
        var state = try #require(a.fastPath.state(of: flowA))
        state.receiveNext = state.receiveNext + 1
        #expect(b.slowPath.close(flow: flowB, now: now))
        #expect(run { a.state(of: flowA) == .timeWait && b.slowPath.state(of: flowB) == nil })
        _ = RawPeer(pair: self).receivedSegments()
        return (flowA, state)
    }
}

/// TIME_WAIT after the close is reported holds a record, not the flow: the flow index and the rings
/// go back at once (`SlowPath+TimeWait.swift`).
@Suite("TIME_WAIT records")
struct TimeWaitRecordTests {
    private static func stepA(_ pair: StackPair, after milliseconds: UInt64 = 0) {
        pair.clock.advance(by: milliseconds * StackPair.millisecond + 100_000)
        pair.a.step(now: pair.now)
    }

    @Test("A stack with 4 flow slots and 4 ring pairs closes first 12 connections in a row; each gives its slot and rings back")
    func closingFirstRepeatedly() throws {
        let capacity = 4
        let configuration = StackPair.configuration { $0.timeWaitDuration = 10_000 * StackPair.millisecond }
        let pair = try StackPair(link: TestWire()) { port, side in
            try TestStack(port: port, address: side.address, configuration: configuration,
                          ringPairs: side == .a ? capacity : 8, flowCapacity: side == .a ? capacity : 64)
        }
        try pair.b.slowPath.listen(port: 80, backlog: 4)
        for round in 0..<3 * capacity {
            let key = try pair.connectAndCloseFirst(opaque: UInt64(round))
            #expect(pair.a.slowPath.state(of: key) == .timeWait && pair.a.slowPath.flowsByKey[key] == nil)
            #expect(pair.a.slowPath.availableRingPairs == capacity && pair.a.slowPath.flowIndices.availableCount == capacity)
        }
        let counters = pair.a.slowPath.counters
        #expect(pair.a.slowPath.timeWaitCount == 3 * capacity)
        #expect(counters.timeWaitEntered == UInt64(3 * capacity) && counters.timeWaitEvicted == 0 && counters.timeWaitExpired == 0)
    }

    @Test("A record answers: RST ignored, duplicate ACK and no-ACK segments dropped, old data ACKed, FIN re-ACKed with the timer restarted")
    func recordAnswers() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        let (flowA, state) = try pair.closeFirstOnA()
        #expect(pair.a.slowPath.state(of: flowA) == nil && pair.a.slowPath.timeWaitCount == 1)
        #expect(pair.a.slowPath.availableRingPairs == 8)
        let remotePort = state.remotePort
        let receiveNext = state.receiveNext.rawValue
        let sendNext = state.sendNext.rawValue
        let ignored = pair.a.slowPath.counters.resetsIgnored

        try peer.send(sourcePort: remotePort, destinationPort: 80, sequence: receiveNext, flags: .rst)
        try peer.send(sourcePort: remotePort, destinationPort: 80, sequence: receiveNext, acknowledgment: sendNext, flags: .ack)
        try peer.send(sourcePort: remotePort, destinationPort: 80, sequence: receiveNext, flags: [], payload: [1, 2, 3])
        Self.stepA(pair)
        #expect(peer.receivedSegments().isEmpty)
        #expect(pair.a.slowPath.counters.resetsIgnored == ignored + 1 && pair.a.state(of: flowA) == .timeWait)

        // Bytes the peer sent before its FIN again: our ACK was lost.
        try peer.send(sourcePort: remotePort, destinationPort: 80, sequence: receiveNext &- 101, acknowledgment: sendNext,
                      flags: .ack, payload: Array(repeating: 5, count: 100))
        Self.stepA(pair)
        let ack = try #require(peer.receivedSegments().first)
        #expect(ack.flags == .ack && ack.sequenceNumber.rawValue == sendNext && ack.acknowledgmentNumber.rawValue == receiveNext)
        #expect(ack.options.timestamps != nil, "the record answers with the connection's options")

        // The peer's FIN again 30 ms in: ACKed, and TIME_WAIT (50 ms) restarts from it.
        Self.stepA(pair, after: 30)
        try peer.send(sourcePort: remotePort, destinationPort: 80, sequence: receiveNext &- 1, acknowledgment: sendNext, flags: [.fin, .ack])
        Self.stepA(pair)
        let finAck = try #require(peer.receivedSegments().first)
        #expect(finAck.flags == .ack && finAck.acknowledgmentNumber.rawValue == receiveNext)
        Self.stepA(pair, after: 45)
        #expect(pair.a.slowPath.timeWaitCount == 1 && pair.a.slowPath.counters.timeWaitExpired == 0)
        Self.stepA(pair, after: 6)
        #expect(pair.a.slowPath.timeWaitCount == 0 && pair.a.slowPath.counters.timeWaitExpired == 1)
        #expect(pair.a.state(of: flowA) == nil && pair.a.slowPath.timeWaitTimers.earliest == nil)
        // The 4-tuple is free: a segment for it now gets an RST.
        try peer.send(sourcePort: remotePort, destinationPort: 80, sequence: receiveNext, acknowledgment: sendNext, flags: .ack)
        Self.stepA(pair)
        #expect(peer.receivedSegments().map(\.flags) == [.rst])
    }

    @Test("A TIME_WAIT record takes at most 64 bytes (a flow: a flow slot, its fast-path state and a ring pair)")
    func recordSize() {
        #expect(MemoryLayout<TimeWaitRecord>.stride <= 64)
    }

    @Test("TIME_WAIT records beyond the capacity evict the one due first, counted")
    func recordsBeyondCapacityEvictTheEarliest() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.timeWaitCapacity = 2; $0.timeWaitDuration = 10_000 * StackPair.millisecond })
        try pair.b.slowPath.listen(port: 80, backlog: 4)
        let keys = try (0..<3).map { try pair.connectAndCloseFirst(opaque: UInt64($0)) }
        #expect(keys.map { pair.a.slowPath.state(of: $0) } == [nil, .timeWait, .timeWait])
        #expect(pair.a.slowPath.timeWaitCount == 2 && pair.a.slowPath.counters.timeWaitEvicted == 1)
        #expect(pair.a.slowPath.counters.timeWaitExpired == 0)
    }

    @Test("connect skips ephemeral ports whose 4-tuple a TIME_WAIT record holds")
    func ephemeralPortsSkipRecords() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.ephemeralPorts = 40_000...40_001 })
        try pair.b.slowPath.listen(port: 80, backlog: 4)
        let first = try pair.connectAndCloseFirst(opaque: 1)
        let second = try pair.connectAndCloseFirst(opaque: 2)
        #expect([first.localPort, second.localPort] == [40_000, 40_001])
        #expect(pair.a.slowPath.timeWaitCount == 2 && pair.a.slowPath.availableRingPairs == 8)
        #expect(throws: SlowPathError.noEphemeralPort) { try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now) }
    }
}
