// TEMPORARY (issue 9): stand-in for the runtime rewrite's `.callerDriven` schedule (same two members).
extension StackRuntime {
    /// One round of the runtime on the caller's thread at `now`; true if anything was done. Only for a runtime whose thread was never started.
    public func step(now: UInt64) -> Bool { engine.step(now: now) }
    /// The earliest time `step` has timer or pacing work (`.max`: none until a frame arrives or a context publishes).
    public var nextDeadline: UInt64 { engine.nextDeadline }
}
