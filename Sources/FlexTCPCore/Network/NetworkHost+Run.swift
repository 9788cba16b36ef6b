import FlexPort

extension NetworkHost {
    /// Polls until `shouldStop` returns true (checked before every poll) or `clock` reaches
    /// `deadline`, handing events to `onEvent` after each poll. Between polls it waits in the port's
    /// `waitForFrames` for at most `maximumWait` nanoseconds, and never past the next retry or timeout.
    /// For real clocks: a virtual clock does not move while this runs.
    package func run(clock: any TimeSource, until deadline: UInt64 = .max, maximumWait: UInt64 = 10_000_000,
                    onEvent: (NetworkEvent) -> Void = { _ in }, shouldStop: () -> Bool) {
        while !shouldStop() {
            let now = clock.now()
            guard now < deadline else { return }
            poll(now: now)
            drainEvents(onEvent)
            let dueIn = nextDeadline > now ? nextDeadline - now : 0
            _ = port.waitForFrames(timeoutNanoseconds: Int64(clamping: min(maximumWait, dueIn, deadline - now)))
        }
    }
}
