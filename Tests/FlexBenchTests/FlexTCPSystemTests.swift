#if canImport(Glibc)
import FlexBench
import Glibc
import Testing

/// The FlexTCP systems run every workload end to end on two worker threads. Figures are only
/// checked for being there and consistent, never for speed.
@Suite(.serialized) struct FlexTCPSystemTests {
    static let plan = RunPlan(warmup: 0.2, duration: 0.3)

    /// Runs `spec` on the system called `name`. A run in which a worker was off its CPU for most
    /// of the measured interval is repeated (at most twice): on this shared machine a pinned
    /// thread can stall for longer than the 0.3 s measured, and then its peer counts nothing.
    static func run(_ spec: WorkloadSpec, on name: String) throws -> RunResult {
        let system = try #require(SystemCatalog.system(named: name))
        var reports: [WorkerReport] = []
        for _ in 0..<3 {
            let control = RunControl(warmup: UInt64(plan.warmup * 1e9), duration: UInt64(plan.duration * 1e9), workerCount: 2)
            reports = try system.run(spec, control: control)
            if reports.allSatisfy({ $0.measuredSeconds >= plan.duration / 2 }) { break }
        }
        #expect(reports.map(\.role).sorted { $0.rawValue > $1.rawValue } == [.server, .client])
        #expect(reports.allSatisfy { $0.cpuSeconds > 0 && $0.measuredSeconds > 0 })
        return RunResult(system: name, spec: spec, repetition: 0, reports: reports)
    }

    static func expectWorked(_ result: RunResult) {
        #expect(result.messages > 0, "\(result.system) \(result.workload.rawValue) completed no messages")
        #expect(result.errors == 0)
        #expect(result.cores > 0)
        #expect(result.threads == 2)
        #expect(result.rpcsPerSecond > 0)
    }

    static func expectLatency(_ result: RunResult) throws {
        let latency = try #require(result.latency)
        #expect(latency.p50 > 0)
        #expect(latency.p50 <= latency.p90 && latency.p90 <= latency.p99 && latency.p99 <= latency.p999)
    }

    @Test func systemsAreListedBeforeTheirBaselines() throws {
        let names = SystemCatalog.all.map(\.name)
        let memory = try #require(SystemCatalog.system(named: "flextcp-memory"))
        let veth = try #require(SystemCatalog.system(named: "flextcp-veth"))
        #expect(memory.baselineName == "linux-loopback" && !memory.needsRoot)
        #expect(veth.baselineName == "linux-veth" && veth.needsRoot)
        for system in [memory, veth] {
            if let baseline = system.baselineName, let at = names.firstIndex(of: baseline) {
                #expect(names.firstIndex(of: system.name)! < at)
            }
        }
    }

    @Test func echoOnTheMemoryWire() throws {
        let result = try Self.run(WorkloadSpec(workload: .echo, connections: 2, size: 100, pipeline: 2), on: "flextcp-memory")
        Self.expectWorked(result)
        try Self.expectLatency(result)
        #expect(result.gigabitsPerSecond > 0)
    }

    @Test(arguments: [Workload.serverReceive, .serverSend, .bulk])
    func oneWayWorkloadsOnTheMemoryWire(workload: Workload) throws {
        let size = workload == .bulk ? 65536 : 64
        let result = try Self.run(WorkloadSpec(workload: workload, connections: 2, size: size, pipeline: 4), on: "flextcp-memory")
        Self.expectWorked(result)
        #expect(result.latency == nil)
        #expect(result.gigabitsPerSecond > 0)
    }

    @Test func churnOnTheMemoryWire() throws {
        let result = try Self.run(WorkloadSpec(workload: .churn, connections: 4, size: 64), on: "flextcp-memory")
        Self.expectWorked(result)
        try Self.expectLatency(result)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root for network namespaces"))
    func echoOverVeth() throws {
        let result = try Self.run(WorkloadSpec(workload: .echo, connections: 2, size: 100, pipeline: 2), on: "flextcp-veth")
        Self.expectWorked(result)
        try Self.expectLatency(result)
    }
}
#endif
