import FlexPort

/// The outcome of one benchmark: its figures over the timed repetitions, summarised.
struct BenchmarkResult {
    let median: Double
    let best: Double
    let iterationsPerRepetition: Int
}

/// Times micro benchmarks on `CLOCK_MONOTONIC`.
///
/// Method: calibrate the batch size (doubling, then scaling) until one batch lasts
/// `seconds / repetitions`; run one more batch of that size as warm-up; then time `repetitions`
/// batches and report the median and the best figure. Every batch's return value is consumed.
struct BenchmarkRunner {
    let seconds: Double
    let repetitions: Int
    private let clock = MonotonicTimeSource()

    init(seconds: Double, repetitions: Int) {
        self.seconds = seconds
        self.repetitions = repetitions
    }

    func measure(_ benchmark: inout some MicroBenchmark) -> BenchmarkResult {
        let iterations = calibratedIterations(&benchmark)
        _ = timedBatch(&benchmark, iterations: iterations)
        var figures: [Double] = []
        for _ in 0..<repetitions {
            let nanoseconds = timedBatch(&benchmark, iterations: iterations)
            figures.append(benchmark.metric.figure(iterations: iterations, nanoseconds: nanoseconds))
        }
        figures.sort()
        let middle = figures.count / 2
        let median = figures.count % 2 == 1 ? figures[middle] : (figures[middle - 1] + figures[middle]) / 2
        let best = benchmark.metric.higherIsBetter ? figures[figures.count - 1] : figures[0]
        return BenchmarkResult(median: median, best: best, iterationsPerRepetition: iterations)
    }

    /// The batch size that lasts about one repetition's share of `seconds`.
    private func calibratedIterations(_ benchmark: inout some MicroBenchmark) -> Int {
        let target = seconds / Double(repetitions) * 1e9
        let limit = Double(Int.max / 4)
        var iterations = 1
        while true {
            let nanoseconds = Double(max(timedBatch(&benchmark, iterations: iterations), 1))
            let scaled = min(Double(iterations) * target / nanoseconds, limit)
            if nanoseconds >= target / 2 || scaled >= limit {
                return max(1, Int(scaled.rounded()))
            }
            // Batches shorter than 100 µs are too coarse to scale from: grow them geometrically first.
            iterations = nanoseconds < 100_000 ? iterations * 2 : Int(scaled) + 1
        }
    }

    private func timedBatch(_ benchmark: inout some MicroBenchmark, iterations: Int) -> UInt64 {
        let start = clock.now()
        let result = benchmark.run(iterations: iterations)
        let end = clock.now()
        consume(result)
        return end &- start
    }
}

/// Takes a benchmark's result where the optimiser cannot see it unused.
@inline(never) @_optimize(none)
func consume(_ value: UInt64) {}
