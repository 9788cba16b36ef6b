/// One micro benchmark: a short operation that `BenchmarkRunner` repeats in timed batches.
///
/// Contract: `run(iterations:)` performs the measured operation exactly `iterations` times (at least 1)
/// and returns a value computed from every result; the runner consumes that value so the optimiser
/// cannot drop the work. Setup (buffers, frames, ports) belongs in `init`, outside the timing, and must
/// be cheap: every registered benchmark is constructed even when `--filter` skips it. The first calls
/// are calibration and warm-up, so caches and lazily built tables are warm when timing starts.
protocol MicroBenchmark {
    /// A unique name of slash-separated words, e.g. `crc32c/hardware/1536B`; `--filter` matches on it.
    var name: String { get }
    /// What one iteration counts and which figure to report.
    var metric: BenchmarkMetric { get }
    mutating func run(iterations: Int) -> UInt64
}

/// The figure a benchmark reports, computed from one timed batch.
enum BenchmarkMetric {
    /// Gigabytes (10⁹ bytes) per second, with `bytesPerIteration` bytes processed per iteration.
    case throughput(bytesPerIteration: Int)
    /// Nanoseconds per iteration; `operation` names one iteration, e.g. "frame".
    case latency(operation: String)
    /// Millions of iterations per second; `operation` names one iteration, e.g. "frame".
    case rate(operation: String)

    var unit: String {
        switch self {
        case .throughput: "GB/s"
        case .latency(let operation): "ns/\(operation)"
        case .rate(let operation): "M \(operation)/s"
        }
    }

    var higherIsBetter: Bool {
        switch self {
        case .throughput, .rate: true
        case .latency: false
        }
    }

    func figure(iterations: Int, nanoseconds: UInt64) -> Double {
        let iterations = Double(iterations)
        let nanoseconds = Double(max(nanoseconds, 1))
        switch self {
        case .throughput(let bytesPerIteration): return iterations * Double(bytesPerIteration) / nanoseconds
        case .latency: return nanoseconds / iterations
        case .rate: return iterations * 1_000 / nanoseconds
        }
    }
}
