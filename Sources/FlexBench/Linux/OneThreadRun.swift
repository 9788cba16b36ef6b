import FlexPort
import FlexTCPCore
import Synchronization

/// Both sides of a workload driven by one thread: what a one-core baseline implements.
///
/// Contract: `begin(window:)` once after the start barrier (connect, start sessions), then `pass`
/// as long as the run lasts; a pass does what is ready and may sleep until `boundary` (a time on
/// the monotonic clock) at most. `closeAll()` releases every descriptor; it is idempotent.
protocol OneThreadDriver: AnyObject {
    var server: WorkloadEndpoint { get }
    var client: WorkloadEndpoint { get }
    func begin(window: MeasurementWindow) throws(BenchmarkFailure)
    func pass(boundary: UInt64) throws(BenchmarkFailure)
    func closeAll()
}

/// Runs a `OneThreadDriver` on one thread pinned to the server's CPU, with a timeline for each side.
///
/// Contract: the driver is made on that thread (before the start barrier, which the thread passes
/// for both workers). The two reports share the thread's CPU time half and half, so a run's total
/// CPU time is the thread's; both name the one CPU.
enum OneThreadRun {
    static func run(control: RunControl,
                    make: @escaping @Sendable () throws(BenchmarkFailure) -> any OneThreadDriver) throws(BenchmarkFailure) -> [WorkerReport] {
        let reports = Mutex<[WorkerReport]>([])
        let thread: JoinableThread
        do {
            thread = try JoinableThread {
                let cpu = CPUPlacement.cpu(for: .server)
                let pinned = CPUPlacement.pinCurrentThread(to: cpu) ? cpu : nil
                do {
                    let made = try drive(make(), control: control, cpu: pinned)
                    reports.withLock { $0 = made }
                } catch {
                    control.fail("one-core worker: \(error)")
                }
            }
        } catch {
            throw BenchmarkFailure("cannot start the worker thread (error \(error.code))")
        }
        thread.join()
        if let failure = control.failure { throw BenchmarkFailure(failure) }
        let collected = reports.withLock { $0 }
        guard collected.count == 2 else { throw BenchmarkFailure("the worker ended without a report") }
        return collected
    }

    private static func drive(_ driver: any OneThreadDriver, control: RunControl, cpu: Int?) throws(BenchmarkFailure) -> [WorkerReport] {
        defer { driver.closeAll() }
        let clock = MonotonicTimeSource()
        guard let window = control.arrive(clock: clock, workers: 2) else { throw BenchmarkFailure("the run stopped before it started") }
        var serverTimeline = WorkerTimeline(window: window, control: control)
        var clientTimeline = WorkerTimeline(window: window, control: control)
        try driver.begin(window: window)
        while true {
            let now = clock.now()
            // Both timelines see every instant, so both record the window's start and end.
            let serverGoesOn = serverTimeline.advance(now: now, endpoint: driver.server)
            let clientGoesOn = clientTimeline.advance(now: now, endpoint: driver.client)
            guard serverGoesOn && clientGoesOn else { break }
            try driver.pass(boundary: clientTimeline.nextBoundary)
        }
        return [serverTimeline.report(endpoint: driver.server, cpu: cpu), clientTimeline.report(endpoint: driver.client, cpu: cpu)]
            .map { WorkerReport(role: $0.role, cpu: $0.cpu, cpuSeconds: $0.cpuSeconds / 2, measuredSeconds: $0.measuredSeconds, metrics: $0.metrics) }
    }
}
