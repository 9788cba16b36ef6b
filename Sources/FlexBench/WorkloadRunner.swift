/// How long to run each system and how often.
public struct RunPlan: Sendable, Equatable {
    /// Seconds before counting starts (connection setup, warm caches, congestion control settled).
    public var warmup: Double
    /// Seconds counted per run.
    public var duration: Double
    /// Runs per system, interleaved A B A B … so that machine noise hits all systems alike.
    public var repetitions: Int

    public init(warmup: Double = 1, duration: Double = 3, repetitions: Int = 1) {
        self.warmup = warmup
        self.duration = duration
        self.repetitions = repetitions
    }

    /// Throws a message naming the first out-of-range parameter.
    public func validate() throws(WorkloadSpecError) {
        guard warmup >= 0, warmup <= 600 else { throw WorkloadSpecError("warm-up must be 0...600 seconds") }
        guard duration > 0, duration <= 3600 else { throw WorkloadSpecError("duration must be more than 0 and at most 3600 seconds") }
        guard (1...100).contains(repetitions) else { throw WorkloadSpecError("repetitions must be 1...100") }
    }
}

/// Runs a workload on systems back to back, A B A B …, each run with its own fresh timeline and
/// histograms, and the cross-core round trip (`measureCores`) taken just before it.
public enum WorkloadRunner {
    public static func run(_ spec: WorkloadSpec, on systems: [any BenchmarkSystem], plan: RunPlan,
                           measureCores: () -> CoreRoundTrip? = { CoreRoundTrip.measure() },
                           progress: (RunResult) -> Void = { _ in }) throws(BenchmarkFailure) -> [RunResult] {
        var results: [RunResult] = []
        for repetition in 0..<plan.repetitions {
            for system in systems {
                let cores = measureCores()
                let control = RunControl(warmup: UInt64(plan.warmup * 1e9), duration: UInt64(plan.duration * 1e9), workerCount: 2)
                let reports: [WorkerReport]
                do {
                    reports = try system.run(spec, control: control)
                } catch {
                    throw BenchmarkFailure("\(system.name): \(error.description)")
                }
                let result = RunResult(system: system.name, spec: spec, repetition: repetition, reports: reports, coreRoundTrip: cores,
                                       mtu: system.mtu)
                progress(result)
                results.append(result)
            }
        }
        return results
    }
}
