@testable import FlexBench
import Foundation
import Testing

@Suite struct RunResultTests {
    private func report(_ role: WorkerRole, messages: UInt64, bytes: UInt64 = 0, cpu: Double, seconds: Double,
                        latencies: [UInt64] = [], errors: UInt64 = 0) -> WorkerReport {
        var metrics = EndpointMetrics()
        metrics.messages = messages
        metrics.bytes = bytes
        metrics.errors = errors
        for latency in latencies { metrics.latency.record(nanoseconds: latency) }
        return WorkerReport(role: role, cpu: role == .server ? 0 : 1, cpuSeconds: cpu, measuredSeconds: seconds, metrics: metrics)
    }

    @Test func ratesComeFromTheCountingSideAndCoresFromAllThreads() {
        let spec = WorkloadSpec(workload: .echo, connections: 4)
        let result = RunResult(system: "s", spec: spec, repetition: 0, reports: [
            report(.server, messages: 999_999, cpu: 1.0, seconds: 2),
            report(.client, messages: 200_000, bytes: 12_800_000, cpu: 1.5, seconds: 2, latencies: [10_000, 20_000, 30_000]),
        ])
        #expect(result.rpcsPerSecond == 100_000)
        #expect(abs(result.gigabitsPerSecond - 0.0512) < 1e-9)
        #expect(result.cpuSeconds == 2.5)
        #expect(result.cores == 1.25)
        #expect(result.rpcsPerSecondPerCore == 80_000)
        #expect(result.cpuSecondsPerMillion == 12.5)
        #expect(result.pinnedCPUs == [0, 1])
        #expect(abs((result.latency?.p50 ?? 0) - 20) < 0.05)
    }

    @Test func oneWayWorkloadsCountTheServerAndHaveNoLatency() {
        let result = RunResult(system: "s", spec: WorkloadSpec(workload: .serverReceive), repetition: 1, reports: [
            report(.server, messages: 3000, cpu: 1, seconds: 1, errors: 2),
            report(.client, messages: 0, cpu: 1, seconds: 1),
        ])
        #expect(result.rpcsPerSecond == 3000)
        #expect(result.latency == nil)
        #expect(result.errors == 2)
    }

    @Test func jsonHasTheContractKeysAndRoundTrips() throws {
        let echo = RunResult(system: "flextcp-memory", spec: WorkloadSpec(workload: .echo), repetition: 0, reports: [
            report(.server, messages: 10, cpu: 0.5, seconds: 1), report(.client, messages: 10, cpu: 0.5, seconds: 1, latencies: [5000]),
        ])
        let bulk = RunResult(system: "linux-loopback", spec: WorkloadSpec(workload: .bulk), repetition: 0, reports: [
            report(.server, messages: 10, bytes: 640, cpu: 0.5, seconds: 1), report(.client, messages: 0, cpu: 0.5, seconds: 1),
        ])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flexbench-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ResultsFile.write([echo, bulk], to: path)
        let objects = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        #expect(objects.count == 2)
        for key in ["system", "workload", "connections", "size", "rpcs_per_sec", "cores", "cpu_seconds", "p50_us", "p99_us"] {
            #expect(objects.allSatisfy { $0[key] != nil }, "missing \(key)")
        }
        #expect(objects[0]["p50_us"] as? Double == echo.latency?.p50)
        #expect(objects[1]["p50_us"] is NSNull)
        #expect(try ResultsFile.read(from: path) == [echo, bulk])
    }

    @Test func kernelKicksAreCountedPerMessageOfTheCountingSideAndSurviveJSON() throws {
        var metrics = EndpointMetrics()
        metrics.messages = 400
        let veth = RunResult(system: "flextcp-veth", spec: WorkloadSpec(workload: .echo), repetition: 0, reports: [
            WorkerReport(role: .server, cpu: 0, cpuSeconds: 1, measuredSeconds: 1, metrics: metrics, transmitKicks: 420),
            WorkerReport(role: .client, cpu: 1, cpuSeconds: 1, measuredSeconds: 1, metrics: metrics, transmitKicks: 380),
        ])
        #expect(veth.kicksPerMessage == 2)
        let memory = RunResult(system: "flextcp-memory", spec: WorkloadSpec(workload: .echo), repetition: 0, reports: [
            report(.server, messages: 10, cpu: 1, seconds: 1), report(.client, messages: 10, cpu: 1, seconds: 1),
        ])
        #expect(memory.kicksPerMessage == nil)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flexbench-kicks-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ResultsFile.write([veth, memory], to: path)
        let objects = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        #expect(objects[0]["kicks_per_msg"] as? Double == 2)
        #expect(objects[1]["kicks_per_msg"] is NSNull)
        #expect(try ResultsFile.read(from: path) == [veth, memory])
    }

    @Test func comparisonTableTakesMediansAndRatiosAgainstTheBaseline() {
        func run(_ system: String, _ rate: UInt64, _ latency: UInt64, repetition: Int) -> RunResult {
            RunResult(system: system, spec: WorkloadSpec(workload: .echo), repetition: repetition, reports: [
                report(.server, messages: rate, cpu: 1, seconds: 1),
                report(.client, messages: rate, cpu: 1, seconds: 1, latencies: [latency]),
            ])
        }
        let results = [run("fast", 1000, 10_000, repetition: 0), run("slow", 100, 50_000, repetition: 0),
                       run("fast", 3000, 10_000, repetition: 1), run("slow", 300, 50_000, repetition: 1),
                       run("fast", 2000, 10_000, repetition: 2), run("slow", 200, 50_000, repetition: 2)]
        let table = ComparisonTable(results: results, baselines: ["fast": ["slow"]])
        #expect(table.rows.map(\.system) == ["fast", "slow"])
        #expect(table.rows[0].rpcsPerSecond == 2000)
        #expect(table.rows[0].runs == 3)
        #expect(abs((table.rows[0].perCoreRatio ?? 0) - 10) < 1e-9)
        #expect(abs((table.rows[0].latencyRatio ?? 0) - 0.2) < 0.01)
        #expect(table.rows[1].perCoreRatio == nil)
        #expect(table.text.contains("10.00x"))
        #expect(ComparisonTable.median([4, 1, 3, 2]) == 2.5)
    }
}

/// `--compare`'s ratios: each metric against the best of the system's baselines in the results.
@Suite struct BestBaselineTests {
    /// A run completing `rate` messages per second on `cores` cores with median latency `latency` ns.
    private func run(_ system: String, rate: UInt64, cores: Double, latency: UInt64) -> RunResult {
        var server = EndpointMetrics()
        server.messages = rate
        var client = EndpointMetrics()
        client.messages = rate
        client.latency.record(nanoseconds: latency)
        return RunResult(system: system, spec: WorkloadSpec(workload: .echo), repetition: 0, reports: [
            WorkerReport(role: .server, cpu: 0, cpuSeconds: cores / 2, measuredSeconds: 1, metrics: server),
            WorkerReport(role: .client, cpu: 1, cpuSeconds: cores / 2, measuredSeconds: 1, metrics: client),
        ])
    }

    @Test func perCoreAgainstTheHighestAndLatencyAgainstTheLowest() throws {
        let results = [
            run("flextcp", rate: 1_000_000, cores: 2, latency: 2_000),
            // Highest throughput, but on two cores: 50k per core.
            run("linux-busy", rate: 100_000, cores: 2, latency: 8_000),
            // Most per core (100k), slower round trips.
            run("linux-uring", rate: 100_000, cores: 1, latency: 12_000),
            run("linux-epoll", rate: 20_000, cores: 1, latency: 50_000),
            // Not a baseline of flextcp: never chosen even though it is the best.
            run("other", rate: 10_000_000, cores: 1, latency: 1_000),
        ]
        let table = ComparisonTable(results: results, baselines: ["flextcp": ["linux-epoll", "linux-uring", "linux-busy", "absent"]])
        let flextcp = try #require(table.rows.first { $0.system == "flextcp" })
        #expect(flextcp.perCoreBaseline == "linux-uring")
        #expect(abs((flextcp.perCoreRatio ?? 0) - 5) < 1e-9)
        #expect(flextcp.latencyBaseline == "linux-busy")
        #expect(abs((flextcp.latencyRatio ?? 0) - 0.25) < 0.01)
        #expect(table.rows.filter { $0.system != "flextcp" }.allSatisfy { $0.perCoreBaseline == nil && $0.latencyRatio == nil })
        #expect(table.text.contains("5.000x  linux-uring"))
    }

    @Test func noBaselineInTheResultsMeansNoRatio() {
        let table = ComparisonTable(results: [run("flextcp", rate: 1000, cores: 1, latency: 1000)], baselines: ["flextcp": ["linux-epoll"]])
        #expect(table.rows[0].perCoreRatio == nil && table.rows[0].perCoreBaseline == nil && table.rows[0].latencyBaseline == nil)
    }
}
