import FlexBench
import Testing

/// Short end-to-end runs of a system under test, and the checks every run must pass: messages
/// completed without errors, CPU charged, both workers reported, latency percentiles present and
/// ordered for latency workloads. Nothing depends on how fast a run is.
enum SystemRuns {
    /// Long enough that a worker descheduled for a few hundred ms on a loaded machine still sees the
    /// window (a worker that misses it fails the run).
    static let warmup: UInt64 = 200_000_000
    static let duration: UInt64 = 1_500_000_000

    static func control() -> RunControl { RunControl(warmup: warmup, duration: duration, workerCount: 2) }

    static func run(_ system: any BenchmarkSystem, _ spec: WorkloadSpec) throws -> RunResult {
        let reports = try system.run(spec, control: control())
        #expect(reports.map(\.role).sorted { $0.rawValue > $1.rawValue } == [.server, .client])
        #expect(reports.allSatisfy { $0.cpuSeconds > 0 && $0.measuredSeconds > 0 })
        return RunResult(system: system.name, spec: spec, repetition: 0, reports: reports)
    }

    static func expectHealthy(_ result: RunResult) throws {
        #expect(result.messages > 0, "\(result.system) \(result.workload.rawValue) completed no messages")
        #expect(result.errors == 0)
        #expect(result.cores > 0)
        #expect(result.seconds > 0)
        #expect(result.threads == 2)
        if result.workload.measuresLatency {
            let latency = try #require(result.latency)
            #expect(latency.p50 > 0)
            #expect(latency.p50 <= latency.p90 && latency.p90 <= latency.p99 && latency.p99 <= latency.p999)
        } else {
            #expect(result.latency == nil)
            #expect(result.gigabitsPerSecond > 0)
        }
    }
}
