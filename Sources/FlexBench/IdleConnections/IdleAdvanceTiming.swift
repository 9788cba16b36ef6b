import FlexTCPCore

/// What one call of `SlowPath.advance` costs on a stack holding idle connections: the calling
/// thread's CPU nanoseconds per call (not wall-clock time, so other load on the machine does not
/// count), virtual time moving `virtualStep` per call.
public struct IdleAdvanceTiming: Sendable {
    public let connections: Int
    public let calls: Int
    public let nanosecondsPerAdvance: Double

    /// Calls the client's `advance` in groups of `groupCalls` until about `seconds` of CPU time
    /// passed, moving virtual time by `virtualStep` per call, and times them. With `changedFlows`,
    /// that many connections are reported changed before each call (an application free of zero
    /// bytes: the fast path lists the flow, nothing else changes), so the slow path examines them.
    public static func measure(_ pair: IdleConnectionPair, seconds: Double, changedFlows: Int = 0, groupCalls: Int = 100,
                               virtualStep: UInt64 = IdleConnectionPair.pollStep) -> IdleAdvanceTiming {
        let touched = pair.clientFlows.prefix(changedFlows)
        let budget = UInt64(seconds * 1e9)
        let start = threadCPUNanoseconds()
        var calls = 0
        var elapsed: UInt64 = 0
        while calls == 0 || elapsed < budget {
            for _ in 0..<groupCalls {
                pair.clock.advance(by: virtualStep)
                for flow in touched { pair.client.fastPath.applicationFreed(flow: flow, bytes: 0, now: pair.clock.now()) }
                pair.client.slowPath.advance(now: pair.clock.now())
            }
            calls += groupCalls
            elapsed = threadCPUNanoseconds() - start
        }
        return IdleAdvanceTiming(connections: pair.clientFlows.count, calls: calls, nanosecondsPerAdvance: Double(elapsed) / Double(calls))
    }
}
