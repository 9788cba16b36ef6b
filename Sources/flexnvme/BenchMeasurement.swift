import CFlexShim
import FlexBench
import FlexPort
#if canImport(Glibc)
import Glibc
#endif

/// What one `flexnvme bench` run measured: each I/O's latency (first command handed to its queue →
/// final status) in an HdrHistogram, and CPU time on each side.
///
/// Contract: `start()` before the first submission, `submitted`/`finished` per request index,
/// `stop()` after the last completion. The host's CPU is the calling thread's (the host runs on it);
/// the target's is the rest of the process (a self-target's threads), meaningful only when the target
/// runs in this process on threads of its own.
struct BenchMeasurement {
    private let clock = MonotonicTimeSource()
    private var submittedAt: [UInt64]
    private(set) var latency = LatencyHistogram()
    private var startTime: UInt64 = 0
    private var hostCPUStart: UInt64 = 0
    private var processCPUStart: UInt64 = 0
    private(set) var seconds = 0.0
    private(set) var hostCPUSeconds = 0.0
    private(set) var processCPUSeconds = 0.0

    init(requests: Int) { submittedAt = [UInt64](repeating: 0, count: requests) }

    mutating func start() {
        processCPUStart = Self.processCPUNanoseconds()
        hostCPUStart = flexshim_thread_cpu_ns()
        startTime = clock.now()
    }

    mutating func submitted(_ index: Int) { submittedAt[index] = clock.now() }

    mutating func finished(_ index: Int) { latency.record(nanoseconds: clock.now() &- submittedAt[index]) }

    mutating func stop() {
        seconds = Double(clock.now() &- startTime) / 1e9
        hostCPUSeconds = Double(flexshim_thread_cpu_ns() &- hostCPUStart) / 1e9
        processCPUSeconds = Double(Self.processCPUNanoseconds() &- processCPUStart) / 1e9
    }

    /// CPU seconds of this process's threads other than the host's.
    var targetCPUSeconds: Double { max(0, processCPUSeconds - hostCPUSeconds) }

    /// User plus system CPU time of the whole process, in nanoseconds.
    private static func processCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
