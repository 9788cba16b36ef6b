import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Slow path teardown")
struct ConnectionTeardownTests {
    @Test("Active close: FIN after the ring drains, half-close still receives, TIME_WAIT holds the tuple, not the flow, until it expires")
    func activeClose() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.ephemeralPorts = 50000...50000 })
        let freePairs = pair.a.slowPath.availableRingPairs
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: 150_000, seed: 4)
        var offset = 0
        #expect(pair.run {
            offset += pair.a.send(data[offset...], on: flowA, now: pair.now)
            return offset == data.count
        })
        // The FIN goes right after the last queued byte; nothing can be queued after it.
        #expect(pair.a.slowPath.close(flow: flowA, now: pair.now))
        #expect(!pair.a.slowPath.close(flow: flowA, now: pair.now))
        #expect(pair.a.send([1], on: flowA, now: pair.now) == 0)
        #expect(pair.run { pair.b.events.contains(.peerClosed(flow: flowB, opaque: 7, context: 0)) })
        // Every byte arrived before the end of stream.
        #expect(pair.b.received[flowB] == data)
        #expect(pair.run { pair.a.slowPath.state(of: flowA) == .finWait2 })
        #expect(pair.b.slowPath.state(of: flowB) == .closeWait)

        // Half-close: B still sends, A still receives.
        let reply = StackPair.pattern(count: 50_000, seed: 5)
        #expect(pair.transfer(reply, from: pair.b, flow: flowB, to: pair.a, receiverFlow: flowA))
        #expect(pair.a.received[flowA] == reply)

        #expect(pair.b.slowPath.close(flow: flowB, now: pair.now))
        #expect(pair.run(step: 10_000) { pair.a.state(of: flowA) == .timeWait })
        #expect(pair.a.events.contains(.peerClosed(flow: flowA, opaque: 42, context: 0)))
        #expect(pair.a.events.last == .closed(flow: flowA, opaque: 42, context: 0))
        #expect(pair.run(maximumRounds: 100) { pair.b.slowPath.state(of: flowB) == nil })
        #expect(pair.b.events.last == .closed(flow: flowB, opaque: 7, context: 0))
        #expect(pair.b.fastPath.state(of: flowB) == nil)

        // TIME_WAIT blocks the only ephemeral port's 4-tuple until it expires (50 ms); the flow and its rings are back.
        #expect(pair.a.fastPath.state(of: flowA) == nil && pair.a.slowPath.availableRingPairs == freePairs)
        #expect(throws: SlowPathError.noEphemeralPort) {
            _ = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        }
        pair.run(step: StackPair.millisecond, maximumRounds: 40)
        #expect(pair.a.state(of: flowA) == .timeWait)
        #expect(pair.run(step: StackPair.millisecond, maximumRounds: 20) { pair.a.state(of: flowA) == nil })
        #expect(pair.a.slowPath.counters.timeWaitExpired == 1)
        let again = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        #expect(pair.run { pair.a.slowPath.state(of: again) == .established })
    }

    @Test("Simultaneous close: both sides pass through CLOSING into TIME_WAIT")
    func simultaneousClose() throws {
        let pair = try StackPair()
        let (flowA, flowB) = try pair.connect()
        pair.a.slowPath.close(flow: flowA, now: pair.now)
        pair.b.slowPath.close(flow: flowB, now: pair.now)
        #expect(pair.run { pair.a.state(of: flowA) == .timeWait && pair.b.state(of: flowB) == .timeWait })
        for (stack, flow, opaque) in [(pair.a, flowA, UInt64(42)), (pair.b, flowB, UInt64(7))] {
            #expect(stack.events.contains(.peerClosed(flow: flow, opaque: opaque, context: 0)))
            #expect(stack.events.last == .closed(flow: flow, opaque: opaque, context: 0))
            #expect(stack.slowPath.counters.finsSent == 1 && stack.slowPath.counters.timeWaitEntered == 1)
        }
        #expect(pair.run(step: StackPair.millisecond) { pair.a.slowPath.state(of: flowA) == nil && pair.b.slowPath.state(of: flowB) == nil })
    }

    @Test("Passive close: the peer's FIN is end-of-stream; our FIN from CLOSE_WAIT ends in LAST_ACK then CLOSED")
    func passiveClose() throws {
        let pair = try StackPair()
        let (flowA, flowB) = try pair.connect()
        pair.b.slowPath.close(flow: flowB, now: pair.now)
        #expect(pair.run { pair.a.events.contains(.peerClosed(flow: flowA, opaque: 42, context: 0)) })
        #expect(pair.a.slowPath.state(of: flowA) == .closeWait)
        pair.a.slowPath.close(flow: flowA, now: pair.now)
        #expect(pair.run { pair.a.slowPath.state(of: flowA) == nil })
        #expect(pair.a.events.last == .closed(flow: flowA, opaque: 42, context: 0))
        #expect(pair.b.state(of: flowB) == .timeWait)
        #expect(pair.a.slowPath.counters.timeWaitEntered == 0 && pair.b.slowPath.counters.timeWaitEntered == 1)
    }

    @Test("A lost FIN is retransmitted; a FIN nobody acknowledges aborts the connection")
    func finRetransmission() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.finRetries = 2 })
        let (flowA, flowB) = try pair.connect()
        pair.b.discardsReceived = true
        pair.a.slowPath.close(flow: flowA, now: pair.now)
        pair.run(maximumRounds: 150)
        #expect(pair.a.slowPath.counters.finRetransmissions == 1)
        pair.b.discardsReceived = false
        #expect(pair.run { pair.a.slowPath.state(of: flowA) == .finWait2 })
        #expect(pair.b.events.contains(.peerClosed(flow: flowB, opaque: 7, context: 0)))

        let (flowC, _) = try pair.connect(port: 81)
        let retransmittedBefore = pair.a.slowPath.counters.finRetransmissions
        pair.b.discardsReceived = true
        pair.a.slowPath.close(flow: flowC, now: pair.now)
        #expect(pair.run { pair.a.slowPath.state(of: flowC) == nil })
        #expect(pair.a.events.last == .aborted(flow: flowC, opaque: 42, context: 0, reason: .timedOut))
        #expect(pair.a.slowPath.counters.finRetransmissions - retransmittedBefore == 2)
    }
}

@Suite("Slow path over a lossy link")
struct ConnectionLossTests {
    @Test("Open, small exchange and close complete under 15% loss and duplication", arguments: [UInt64(11), 12, 13, 14])
    func lossyLifecycle(seed: UInt64) throws {
        var impairment = LinkEmulatorSettings()
        impairment.dropProbability = 0.15
        impairment.duplicateProbability = 0.05
        impairment.propagationDelayNanoseconds = 50_000
        impairment.seed = seed
        let pair = try StackPair(impairment: impairment)
        try pair.b.slowPath.listen(port: 80, backlog: 4)
        let flowA = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, opaque: 1, now: pair.now)
        var flowB: FlowIndex?
        #expect(pair.run {
            if flowB == nil { flowB = pair.b.slowPath.accept(port: 80) }
            return flowB != nil && pair.a.slowPath.state(of: flowA) == .established
        })
        let accepted = try #require(flowB)
        pair.a.slowPath.close(flow: flowA, now: pair.now)
        #expect(pair.run { pair.b.events.contains(.peerClosed(flow: accepted, opaque: 0, context: 0)) })
        pair.b.slowPath.close(flow: accepted, now: pair.now)
        #expect(pair.run { pair.a.slowPath.state(of: flowA) == nil && pair.b.slowPath.state(of: accepted) == nil })
        #expect(pair.a.events.contains(.closed(flow: flowA, opaque: 1, context: 0)))
        #expect(pair.b.events.contains(.closed(flow: accepted, opaque: 0, context: 0)))
    }
}
