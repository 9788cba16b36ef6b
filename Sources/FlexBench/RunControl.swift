import Atomics
import FlexPort
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The shared timeline of one benchmark run: every worker thread arrives at a start barrier after
/// its setup, then all run `warmup` ns (connecting, filling pipes) and count during the following
/// `duration` ns. A worker that fails stops the others.
///
/// Contract: exactly `workerCount` workers arrive, each with one call to `arrive` (a thread that runs
/// several workers arrives once for all of them with `workers:`); it returns when all have arrived
/// (or the run failed, or `setupTimeout` ns passed: then it fails the run). Times come from the
/// monotonic clock.
public final class RunControl: Sendable {
    /// Nanoseconds from the start barrier to the measured window.
    public let warmup: UInt64
    /// Nanoseconds of the measured window.
    public let duration: UInt64
    /// Workers that must arrive at the barrier.
    public let workerCount: Int
    /// Nanoseconds a worker waits at the barrier before the run fails.
    public let setupTimeout: UInt64
    private let arrived = ManagedAtomic(0)
    private let startTime = ManagedAtomic<UInt64>(0)
    private let failedFlag = ManagedAtomic(false)
    private let failureMessage = Mutex<String?>(nil)

    public init(warmup: UInt64, duration: UInt64, workerCount: Int, setupTimeout: UInt64 = 30_000_000_000) {
        self.warmup = warmup
        self.duration = max(duration, 1)
        self.workerCount = workerCount
        self.setupTimeout = setupTimeout
    }

    /// Waits at the start barrier for `workers` workers run by the calling thread; returns the
    /// measured window, or nil if the run failed.
    public func arrive(clock: MonotonicTimeSource = MonotonicTimeSource(), workers: Int = 1) -> MeasurementWindow? {
        let entered = clock.now()
        if arrived.wrappingIncrementThenLoad(by: workers, ordering: .acquiringAndReleasing) == workerCount {
            startTime.store(clock.now(), ordering: .releasing)
        }
        while true {
            let start = startTime.load(ordering: .acquiring)
            if start != 0 {
                let measureStart = start &+ warmup
                return MeasurementWindow(start: measureStart, end: measureStart &+ duration)
            }
            if hasFailed { return nil }
            if clock.now() &- entered > setupTimeout {
                fail("workers did not get ready within \(setupTimeout / 1_000_000_000) s")
                return nil
            }
            usleep(200)
        }
    }

    /// Stops the run; the first message is the one reported.
    public func fail(_ message: String) {
        failureMessage.withLock { if $0 == nil { $0 = message } }
        failedFlag.store(true, ordering: .releasing)
    }

    public var hasFailed: Bool { failedFlag.load(ordering: .relaxed) }

    public var failure: String? { failureMessage.withLock { $0 } }
}

/// The measured interval of a run on the monotonic clock, in ns.
public struct MeasurementWindow: Sendable, Equatable {
    public let start: UInt64
    public let end: UInt64
}

/// A worker's view of the run's phases: call `advance(now:endpoint:)` every loop iteration; it resets
/// the endpoint's counts and starts the CPU clock when measuring begins and returns false when the
/// run is over (or failed), after which `report` holds the worker's figures. `transmitKicks`, when
/// given, reads the worker's port's kernel-kick counter (`PortStatistics.transmitKicks`); it is read
/// once when measuring begins and once when it ends.
public struct WorkerTimeline {
    public let window: MeasurementWindow
    private let control: RunControl
    private let transmitKicks: (() -> UInt64)?
    private var measuring = false
    private var cpuAtStart: UInt64 = 0
    private var kicksAtStart: UInt64 = 0
    private var observedStart: UInt64 = 0
    private var finished: (cpu: UInt64, time: UInt64, metrics: EndpointMetrics, kicks: UInt64?)?

    public init(window: MeasurementWindow, control: RunControl, transmitKicks: (() -> UInt64)? = nil) {
        self.window = window
        self.control = control
        self.transmitKicks = transmitKicks
    }

    /// The earliest time the worker must look at the timeline again (for blocking waits).
    public var nextBoundary: UInt64 { measuring ? window.end : window.start }

    @inline(__always)
    public mutating func advance(now: UInt64, endpoint: WorkloadEndpoint) -> Bool {
        if now >= window.end && !measuring {
            control.fail("the \(endpoint.role.rawValue) worker first ran \((now &- window.start) / 1_000_000) ms after the measured "
                         + "window had started, when it had already ended (machine overloaded? try a longer --warmup)")
            return false
        }
        if now >= window.start && !measuring {
            measuring = true
            endpoint.metrics.reset()
            cpuAtStart = threadCPUNanoseconds()
            kicksAtStart = transmitKicks?() ?? 0
            observedStart = now
        }
        if now >= window.end || control.hasFailed {
            if finished == nil && measuring {
                finished = (threadCPUNanoseconds() &- cpuAtStart, now &- observedStart, endpoint.metrics,
                            transmitKicks.map { $0() &- kicksAtStart })
            }
            return false
        }
        return true
    }

    /// The worker's figures for the measured interval, as they stood when `advance` saw its end —
    /// what happens afterwards (teardown, the peer closing) is not counted. Zeros if the worker
    /// never reached the interval.
    public func report(endpoint: WorkloadEndpoint, cpu: Int?) -> WorkerReport {
        WorkerReport(role: endpoint.role, cpu: cpu, cpuSeconds: Double(finished?.cpu ?? 0) / 1e9,
                     measuredSeconds: Double(finished?.time ?? 0) / 1e9, metrics: finished?.metrics ?? EndpointMetrics(),
                     transmitKicks: finished?.kicks)
    }
}

/// One worker thread's figures for the measured interval.
public struct WorkerReport: Sendable {
    public let role: WorkerRole
    /// The CPU the worker was pinned to, if pinning succeeded.
    public let cpu: Int?
    public let cpuSeconds: Double
    public let measuredSeconds: Double
    public let metrics: EndpointMetrics
    /// Kernel kicks (transmit system calls) of the worker's port in the measured interval; nil
    /// when the worker's transport does not count them.
    public let transmitKicks: UInt64?

    public init(role: WorkerRole, cpu: Int?, cpuSeconds: Double, measuredSeconds: Double, metrics: EndpointMetrics,
                transmitKicks: UInt64? = nil) {
        self.role = role
        self.cpu = cpu
        self.cpuSeconds = cpuSeconds
        self.measuredSeconds = measuredSeconds
        self.metrics = metrics
        self.transmitKicks = transmitKicks
    }
}
