import FlexPort
import FlexTCP
import FlexTCPCore

/// A caller-driven `StackRuntime` on one port, driven by the calling thread together with the services on its
/// contexts (the tools' one-thread shape: runtime and application take turns, as the `FlexTCP`
/// library's caller-driven schedule allows).
///
/// Contract: one thread builds the loop, makes its contexts and calls `run`; nothing else touches
/// the stack. `run` steps the runtime, then the caller's `step` (which polls its contexts and hands
/// their counts over), and when neither did anything sleeps on the port until a frame arrives, the
/// runtime's next deadline or `maximumWait` ns — whichever comes first.
public final class RuntimeLoop {
    package let runtime: StackRuntime
    public var port: any Port { runtime.port }

    package init(port: any Port, configuration: StackConfiguration, contextCount: Int = 1) throws(StackRuntime.SetupError) {
        runtime = try StackRuntime(port: port, configuration: configuration, contextCount: contextCount, schedule: .callerDriven)
    }

    /// The stack's parts, for this thread between rounds (counters, flow states, announcements).
    package var fastPath: FastPath { runtime.fastPath }
    package var slowPath: SlowPath { runtime.slowPath }
    package var network: NetworkHost { runtime.network }
    package var configuration: StackConfiguration { runtime.configuration }

    /// A new context on queue set `index` of the runtime.
    package func makeContext(_ index: Int = 0) throws(ContextQueueError) -> Context {
        try Context(attachment: runtime.attachment(for: index))
    }

    /// Runs until `isDone` returns true (checked after every round). `step` gets the round's time
    /// and returns whether it did anything.
    public func run(clock: any TimeSource, maximumWait: UInt64 = 1_000_000, step: (UInt64) -> Bool, until isDone: () -> Bool) {
        while true {
            let now = clock.now()
            let busy = runtime.step(now: now)
            let served = step(now)
            if isDone() { return }
            guard !busy && !served else { continue }
            let deadline = runtime.nextDeadline
            guard deadline > now else { continue }
            _ = port.waitForFrames(timeoutNanoseconds: Int64(min(deadline &- now, maximumWait)))
        }
    }
}
