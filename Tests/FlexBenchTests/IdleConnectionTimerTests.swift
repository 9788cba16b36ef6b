import FlexBench
import FlexPort
import FlexTCPCore
import Glibc
import Testing

@Suite("Connection timers with many idle connections")
struct IdleConnectionTimerTests {
    static let millisecond: UInt64 = 1_000_000

    /// Idle connections of the large case: 20,000 (debug CI), or `FLEXTCP_IDLE_CONNECTIONS` (e.g. 100000).
    static var largeCount: Int { getenv("FLEXTCP_IDLE_CONNECTIONS").flatMap { Int(String(cString: $0)) } ?? 20_000 }

    /// Both stacks: 10 ms initial retransmission timeout; DCTCP on (the stack's default), so parked
    /// congestion loops are part of what is measured.
    static func configure(_ configuration: inout StackConfiguration) {
        configuration.slowPath.initialRetransmissionTimeout = 10 * millisecond
    }

    /// What one connection among the idle ones does: 100 bytes sent, the segment dropped at the
    /// server, both stacks running until the retransmission repaired it. Returns the time from the
    /// send to the retransmission timeout and the slow path's visits per advance (both stacks) over
    /// the whole episode.
    static func lossEpisode(_ pair: IdleConnectionPair) throws -> (timeout: UInt64, visitsPerAdvance: Double) {
        pair.run(for: 50 * millisecond)
        let visitsBefore = pair.client.slowPath.counters.connectionVisits &+ pair.server.slowPath.counters.connectionVisits
        let flow = pair.clientFlows[pair.clientFlows.count / 2]
        let bytes = [UInt8](repeating: 0x5a, count: 100)
        #expect(bytes.withUnsafeBytes { pair.client.write(to: flow, from: $0, now: pair.clock.now()) } == 100)
        let sent = pair.clock.now()
        pair.clock.advance(by: IdleConnectionPair.pollStep)
        pair.client.poll(now: pair.clock.now())
        let dropped = FrameBatch(capacity: 64)
        pair.server.port.poll()
        #expect(pair.server.port.receive(into: dropped) == 1)
        pair.server.port.releaseReceived(dropped)
        var advances = 1
        var timeout: UInt64?
        while timeout == nil || pair.client.fastPath.state(of: flow)?.transmitSent != 0 {
            try #require(pair.clock.now() - sent < 100 * millisecond, "not repaired within 100 ms")
            pair.pollBoth()
            advances += 2
            if timeout == nil && pair.client.slowPath.counters.retransmissionTimeouts > 0 { timeout = pair.clock.now() - sent }
        }
        #expect(pair.client.fastPath.state(of: flow)?.transmitPending == 0)
        #expect(pair.client.slowPath.counters.retransmissionTimeouts == 1)
        let visits = pair.client.slowPath.counters.connectionVisits &+ pair.server.slowPath.counters.connectionVisits &- visitsBefore
        return (try #require(timeout), Double(visits) / Double(advances))
    }

    @Test("The slow path's work per advance does not grow from 1,000 to 20,000 (or 100,000) idle connections, and a lost segment among them is retransmitted on time")
    func workDoesNotGrowWithIdleConnections() throws {
        let small = try IdleConnectionPair(connections: 1000, adjust: Self.configure)
        let smallEpisode = try Self.lossEpisode(small)
        let large = try IdleConnectionPair(connections: Self.largeCount, adjust: Self.configure)
        let largeEpisode = try Self.lossEpisode(large)
        // No RTT sample yet: the initial timeout, armed at the first advance after the segment left
        // (one poll step after the send), fires within one more poll step.
        for episode in [smallEpisode, largeEpisode] {
            #expect(episode.timeout >= 10 * Self.millisecond && episode.timeout <= 10 * Self.millisecond + 2 * IdleConnectionPair.pollStep)
        }
        // 20× more idle connections must add no work. The two figures were equal until session 11's
        // merges, now 0.030 (1,000) and 0.022 (20,000): the large episode does less, not more (which
        // change moved them is not analysed; DCTCP's start from the handshake RTT is not it).
        #expect(largeEpisode.visitsPerAdvance <= 1.5 * smallEpisode.visitsPerAdvance)
        #expect(largeEpisode.visitsPerAdvance < 1)
        print("idle connections: visits per advance \(smallEpisode.visitsPerAdvance) at 1,000, "
              + "\(largeEpisode.visitsPerAdvance) at \(Self.largeCount)")
    }
}
