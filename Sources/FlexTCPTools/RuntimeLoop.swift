import FlexPort
import FlexTCP
import FlexTCPCore

/// A `StackRuntime` on one `Stack`, driven by the calling thread together with the services on its
/// contexts (the tools' one-thread shape: runtime and application take turns, as the `FlexTCP`
/// library's caller-driven schedule allows).
///
/// Contract: one thread builds the loop, makes its contexts and calls `run`; nothing else touches
/// the stack. `run` steps the runtime, then the caller's `step` (which polls its contexts and hands
/// their counts over), and when neither did anything sleeps on the port until a frame arrives, the
/// runtime's next deadline or `maximumWait` ns — whichever comes first.
public final class RuntimeLoop {
    public let runtime: StackRuntime
    public let port: any Port

    public init(stack: Stack, contextCount: Int = 1) throws(StackRuntime.SetupError) {
        port = stack.port
        runtime = try StackRuntime(stack: stack, contextCount: contextCount)
    }

    /// A new context on queue set `index` of the runtime.
    public func makeContext(_ index: Int = 0) throws(ContextQueueError) -> Context {
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
