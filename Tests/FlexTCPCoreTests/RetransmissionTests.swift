import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

extension TestStack {
    /// Like `step`, but the application reads nothing: received bytes stay in the ring (the window closes).
    func stepHoldingReceived(now: UInt64) {
        port.poll()
        _ = port.receive(into: batch)
        fastPath.processReceived(batch, now: now)
        slowPath.handleExceptions(in: batch, at: fastPath.exceptionIndices, now: now)
        port.releaseReceived(batch)
        batch.removeAll()
        fastPath.clearEvents()
        slowPath.advance(now: now)
        fastPath.transmit(now: now)
        slowPath.drainEvents { events.append($0) }
    }
}

@Suite("Retransmission timeout and zero-window probes")
struct RetransmissionTests {
    static let millisecond = StackPair.millisecond

    /// Runs until the stack's retransmission-timeout counter reaches `count`; returns the virtual time then.
    static func timeOfTimeout(_ count: UInt64, at stack: TestStack, pair: StackPair) -> UInt64? {
        pair.run(step: 100_000, maximumRounds: 20_000) { stack.slowPath.counters.retransmissionTimeouts >= count } ? pair.now : nil
    }

    @Test("A lost tail segment is retransmitted after 10, 20, 40 and 80 ms (doubling); the first retransmission that arrives repairs it")
    func tailLossBackOff() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.congestionControl = nil })
        let (flowA, flowB) = try pair.connect()
        pair.b.discardsReceived = true
        let data = StackPair.pattern(count: 1000, seed: 21)
        #expect(pair.a.send(data[...], on: flowA, now: pair.now) == 1000)
        let sent = pair.now
        // No RTT sample yet: the initial timeout (10 ms), then back-off.
        var times: [UInt64] = []
        for count in 1...3 { times.append(try #require(Self.timeOfTimeout(UInt64(count), at: pair.a, pair: pair)) - sent) }
        // The third retransmission is lost too (the receiver still discards in that round); the fourth arrives.
        pair.b.discardsReceived = false
        times.append(try #require(Self.timeOfTimeout(4, at: pair.a, pair: pair)) - sent)
        let expected: [UInt64] = [10, 30, 70, 150].map { $0 * Self.millisecond }
        for (time, wanted) in zip(times, expected) { #expect(time >= wanted && time <= wanted + Self.millisecond / 2) }
        #expect(pair.run { pair.b.received[flowB]?.count == 1000 })
        #expect(pair.b.received[flowB] == data)
        #expect(pair.run(maximumRounds: 100) { pair.a.fastPath.state(of: flowA)?.transmitSent == 0 })
        // Progress restarts the timer: nothing further times out.
        pair.run(maximumRounds: 2000)
        #expect(pair.a.slowPath.counters.retransmissionTimeouts == 4)
    }

    @Test("A peer that vanishes gets the connection reset after the configured timeouts; the application is told")
    func vanishedPeer() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.dataRetries = 3; $0.congestionControl = nil })
        let (flowA, _) = try pair.connect()
        pair.b.discardsReceived = true
        _ = pair.a.send(StackPair.pattern(count: 5000, seed: 22)[...], on: flowA, now: pair.now)
        #expect(pair.run(maximumRounds: 20_000) { pair.a.slowPath.state(of: flowA) == nil })
        #expect(pair.a.events.last == .aborted(flow: flowA, opaque: 42, context: 0, reason: .timedOut))
        #expect(pair.a.slowPath.counters.retransmissionTimeouts == 3)
        #expect(pair.a.slowPath.counters.retransmissionFailures == 1)
        #expect(pair.a.slowPath.counters.resetsSent == 1)
        #expect(pair.a.fastPath.state(of: flowA) == nil)
    }

    @Test("A closed window is probed with growing gaps, never given up while the peer answers, and the data resumes")
    func zeroWindowProbing() throws {
        let small = StackPair.configuration { $0.receiveRingSize = 4096; $0.dataRetries = 2; $0.congestionControl = nil }
        let sender = StackPair.configuration { $0.dataRetries = 2; $0.minimumRetransmissionTimeout = 5 * Self.millisecond; $0.congestionControl = nil }
        let pair = try StackPair(a: sender, b: small)
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: 10_000, seed: 23)
        var offset = pair.a.send(data[...], on: flowA, now: pair.now)
        var probeTimes: [UInt64] = []
        for _ in 0..<3000 {
            pair.clock.advance(by: Self.millisecond)
            pair.a.step(now: pair.now)
            pair.b.stepHoldingReceived(now: pair.now)
            if pair.a.slowPath.counters.windowProbesSent > UInt64(probeTimes.count) { probeTimes.append(pair.now) }
        }
        #expect(pair.a.fastPath.state(of: flowA)?.peerWindow == 0)
        #expect(probeTimes.count >= 5)
        let gaps = zip(probeTimes.dropFirst(), probeTimes).map { $0 - $1 }
        #expect(zip(gaps.dropFirst(), gaps).allSatisfy { $0 >= $1 })
        #expect(gaps.last! > gaps.first!)
        // More probes than dataRetries allows timeouts, and still established.
        #expect(pair.a.slowPath.state(of: flowA) == .established)
        #expect(pair.b.fastPath.state(of: flowB)?.receiveSpace == 0)

        // The receiver reads what it held; the rest follows.
        let state = pair.b.fastPath.state(of: flowB)!
        let held = state.unreadByteCount
        var receivedHeld = [UInt8](repeating: 0, count: Int(held))
        let ring = PayloadRing(base: pair.b.fastPath.payloadRegion + Int(state.receiveRingOffset), size: state.receiveRingSize)
        receivedHeld.withUnsafeMutableBytes { ring.read(into: $0.baseAddress!, count: held, at: state.unreadStart) }
        pair.b.received[flowB] = receivedHeld
        #expect(pair.b.fastPath.applicationFreed(flow: flowB, bytes: held, now: pair.now))
        #expect(pair.run {
            if offset < data.count { offset += pair.a.send(data[offset...], on: flowA, now: pair.now) }
            return pair.b.received[flowB, default: []].count >= data.count
        })
        #expect(pair.b.received[flowB] == data)
    }

    @Test("Data and FIN lost together are retransmitted as data and FIN: no garbage byte, end of stream after the data")
    func finRetransmittedWithData() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.congestionControl = nil })
        let (flowA, flowB) = try pair.connect()
        pair.b.discardsReceived = true
        let data = StackPair.pattern(count: 700, seed: 24)
        #expect(pair.a.send(data[...], on: flowA, now: pair.now) == 700)
        #expect(pair.a.slowPath.close(flow: flowA, now: pair.now))
        #expect(pair.run { pair.a.slowPath.counters.finRetransmissions >= 2 })
        pair.b.discardsReceived = false
        #expect(pair.run { pair.b.events.contains(.peerClosed(flow: flowB, opaque: 7, context: 0)) })
        #expect(pair.b.received[flowB] == data)
        #expect(pair.run { pair.a.slowPath.state(of: flowA) == .finWait2 })
        // A FIN alone (after the data was acknowledged) lost and retransmitted: still nothing extra.
        pair.b.slowPath.close(flow: flowB, now: pair.now)
        pair.a.discardsReceived = true
        #expect(pair.run { pair.b.slowPath.counters.finRetransmissions >= 1 })
        pair.a.discardsReceived = false
        #expect(pair.run { pair.b.slowPath.state(of: flowB) == nil })
        #expect(pair.a.received[flowA, default: []].isEmpty)
        #expect(pair.a.state(of: flowA) == .timeWait)
    }
}
