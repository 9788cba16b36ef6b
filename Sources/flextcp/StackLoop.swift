import FlexPort
import FlexTCPCore

/// Drives a `Stack` run-to-completion in real time: poll, let the application step, and when
/// idle sleep on the port until a frame arrives or the stack's next deadline (at most 10 ms).
enum StackLoop {
    /// Runs until `isDone` returns true or SIGINT/SIGTERM arrives; returns false when stopped by a signal.
    static func run(_ stack: Stack, clock: MonotonicTimeSource = MonotonicTimeSource(), step: (UInt64) -> Void,
                    until isDone: () -> Bool) -> Bool {
        StopSignal.install()
        while !StopSignal.isRequested {
            let now = clock.now()
            let busy = stack.poll(now: now)
            step(now)
            if isDone() { return true }
            guard !busy else { continue }
            let deadline = stack.nextDeadline
            guard deadline > now else { continue }
            _ = stack.port.waitForFrames(timeoutNanoseconds: Int64(min(deadline &- now, 10_000_000)))
        }
        return false
    }
}
