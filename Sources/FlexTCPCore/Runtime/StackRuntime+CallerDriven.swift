// TEMPORARY (issue 9, item 3): a stand-in for the `.callerDriven` schedule the runtime rewrite
// provides with exactly these two members; the integrator replaces this file with the real one.
extension StackRuntime {
    /// Caller-driven schedule: one round of the runtime on the caller's thread at time `now` (takes
    /// the contexts' queues, moves one receive batch through fast and slow path, runs timers,
    /// transmits, posts events). Returns true if anything was done. Only for a runtime whose
    /// thread was never started; the caller's thread is then the only one that steps it.
    public func step(now: UInt64) -> Bool {
        engine.step(now: now)
    }

    /// The earliest time `step` has timer or pacing work (`.max`: none until a frame arrives or a
    /// context publishes an entry).
    public var nextDeadline: UInt64 { engine.nextDeadline }
}
