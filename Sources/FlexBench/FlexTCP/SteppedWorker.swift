import FlexPort

/// One side of a workload on a FlexTCP stack, driven by its caller one step at a time (both FlexTCP
/// paths: `FlexTCPContextWorker`, `FlexTCPWorker`).
///
/// Contract: `prepare` once before the start barrier, `begin` once after it, then `step` as often
/// as the caller likes, on one thread; a step never blocks and returns a failure that ends the run.
protocol SteppedWorker: AnyObject {
    var endpoint: WorkloadEndpoint { get }
    func prepare() throws(BenchmarkFailure)
    func begin(now: UInt64) throws(BenchmarkFailure)
    func step(now: UInt64) -> String?
}

extension SteppedWorker {
    /// Runs the worker on the calling thread along the run's timeline and returns its report
    /// (with the kernel kicks `transmitKicks` counts, if given: see `WorkerTimeline`).
    func run(control: RunControl, cpu: Int?, transmitKicks: (() -> UInt64)? = nil) throws(BenchmarkFailure) -> WorkerReport {
        let clock = MonotonicTimeSource()
        try prepare()
        guard let window = control.arrive(clock: clock) else { throw BenchmarkFailure("the run stopped before it started") }
        var timeline = WorkerTimeline(window: window, control: control, transmitKicks: transmitKicks)
        try begin(now: clock.now())
        while true {
            let now = clock.now()
            guard timeline.advance(now: now, endpoint: endpoint) else { break }
            if let failure = step(now: now) { throw BenchmarkFailure(failure) }
        }
        return timeline.report(endpoint: endpoint, cpu: cpu)
    }
}
