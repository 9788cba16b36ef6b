import FlexTCPCore

/// What one call of `SlowPath.advance` costs on a stack holding idle connections (wall-clock
/// nanoseconds per call, virtual time moving `virtualStep` per call).
public struct IdleAdvanceTiming: Sendable {
    public let connections: Int
    public let calls: Int
    public let nanosecondsPerAdvance: Double

    /// Calls the client's `advance` repeatedly for about `seconds` of wall-clock time (at least
    /// `minimumCalls` calls), moving virtual time by `virtualStep` per call, and times them.
    public static func measure(_ pair: IdleConnectionPair, seconds: Double, minimumCalls: Int = 100,
                               virtualStep: UInt64 = IdleConnectionPair.pollStep) -> IdleAdvanceTiming {
        let clock = ContinuousClock()
        let budget = Duration.nanoseconds(Int64(seconds * 1e9))
        let start = clock.now
        var calls = 0
        var elapsed = Duration.zero
        while calls < minimumCalls || elapsed < budget {
            for _ in 0..<minimumCalls {
                pair.clock.advance(by: virtualStep)
                pair.client.slowPath.advance(now: pair.clock.now())
            }
            calls += minimumCalls
            elapsed = clock.now - start
        }
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        return IdleAdvanceTiming(connections: pair.clientFlows.count, calls: calls, nanosecondsPerAdvance: nanoseconds / Double(calls))
    }
}
