import FlexPort

extension Stack {
    /// Drives the stack run-to-completion on `clock`: poll, let the application `step`, send what it
    /// queued (`transmit`), and when idle sleep on the port until a frame arrives or the next
    /// deadline (at most `maximumWait` ns).
    /// Returns when `isDone` returns true (checked after every step).
    package func run(clock: any TimeSource, maximumWait: UInt64 = 10_000_000, step: (UInt64) -> Void, until isDone: () -> Bool) {
        while true {
            let now = clock.now()
            let polled = poll(now: now)
            step(now)
            let busy = transmit(now: now) > 0 || polled
            if isDone() { return }
            guard !busy else { continue }
            let deadline = nextDeadline
            guard deadline > now else { continue }
            _ = port.waitForFrames(timeoutNanoseconds: Int64(min(deadline &- now, maximumWait)))
        }
    }
}
