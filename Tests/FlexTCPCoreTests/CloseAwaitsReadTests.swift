import FlexPort
import FlexTestSupport
import Testing
@testable import FlexTCPCore

/// An orderly close never takes received bytes from the application: the `closed` event, and the
/// release of the flow and its rings, wait until it has freed every byte it received.
@Suite("Close awaits the application's read")
struct CloseAwaitsReadTests {
    @Test("FIN-WAIT-2 takes the peer's data and FIN together: closed only after the read, TIME_WAIT's end waits too")
    func timeWaitWaitsForTheRead() throws {
        let pair = try StackPair()
        let freePairs = pair.a.slowPath.availableRingPairs
        let (flowA, flowB) = try pair.connect()
        pair.a.slowPath.close(flow: flowA, now: pair.now)
        #expect(pair.run { pair.a.slowPath.state(of: flowA) == .finWait2 })

        pair.a.leavesBytesUnread = true
        let reply = StackPair.pattern(count: 14, seed: 9)
        #expect(pair.b.send(reply[...], on: flowB, now: pair.now) == reply.count)
        pair.b.slowPath.close(flow: flowB, now: pair.now)
        #expect(pair.run { pair.a.state(of: flowA) == .timeWait })
        #expect(pair.a.events.contains(.peerClosed(flow: flowA, opaque: 42, context: 0)))
        #expect(!pair.a.events.contains(.closed(flow: flowA, opaque: 42, context: 0)))
        #expect(pair.a.slowPath.counters.closesAwaitingRead == 1)

        // TIME_WAIT (50 ms) ends; the record, the flow and its bytes stay for the application.
        pair.run(step: StackPair.millisecond, maximumRounds: 80)
        #expect(pair.a.slowPath.state(of: flowA) == .closed)
        #expect(pair.a.fastPath.state(of: flowA)?.unreadByteCount == 14)
        #expect(!pair.a.events.contains(.closed(flow: flowA, opaque: 42, context: 0)))

        pair.a.readUnread(on: flowA, now: pair.now)
        #expect(pair.a.received[flowA] == reply)
        #expect(pair.run(maximumRounds: 100) { pair.a.slowPath.state(of: flowA) == nil })
        #expect(pair.a.events.last == .closed(flow: flowA, opaque: 42, context: 0))
        #expect(pair.a.fastPath.state(of: flowA) == nil)
        #expect(pair.a.slowPath.availableRingPairs == freePairs)
    }

    @Test("LAST-ACK acknowledged with bytes unread: CLOSED holds the flow until the read, then frees it")
    func lastAckWaitsForTheRead() throws {
        let pair = try StackPair()
        let freePairs = pair.a.slowPath.availableRingPairs
        let (flowA, flowB) = try pair.connect()
        pair.a.leavesBytesUnread = true
        let request = StackPair.pattern(count: 3_000, seed: 10)
        #expect(pair.b.send(request[...], on: flowB, now: pair.now) == request.count)
        pair.b.slowPath.close(flow: flowB, now: pair.now)
        #expect(pair.run { pair.a.slowPath.state(of: flowA) == .closeWait })
        pair.a.slowPath.close(flow: flowA, now: pair.now)
        #expect(pair.run { pair.b.state(of: flowB) == .timeWait })
        #expect(pair.run(maximumRounds: 100) { pair.a.slowPath.state(of: flowA) == .closed })
        #expect(!pair.a.events.contains(.closed(flow: flowA, opaque: 42, context: 0)))
        #expect(pair.a.slowPath.counters.closesAwaitingRead == 1)

        // Both directions are over: no timer or examination visits the connection while it waits.
        pair.run(maximumRounds: 500)
        let visits = pair.a.slowPath.counters.connectionVisits
        pair.run(maximumRounds: 500)
        #expect(pair.a.slowPath.counters.connectionVisits == visits)
        #expect(pair.a.fastPath.state(of: flowA)?.unreadByteCount == UInt32(request.count))

        pair.a.readUnread(on: flowA, now: pair.now)
        #expect(pair.a.received[flowA] == request)
        #expect(pair.run(maximumRounds: 100) { pair.a.slowPath.state(of: flowA) == nil })
        #expect(pair.a.events.last == .closed(flow: flowA, opaque: 42, context: 0))
        #expect(pair.a.slowPath.availableRingPairs == freePairs)
    }
}
