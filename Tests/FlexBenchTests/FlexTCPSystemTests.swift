#if canImport(Glibc)
import FlexBench
import Glibc
import Testing

/// The FlexTCP systems run every workload end to end on two worker threads. Figures are only
/// checked for being there and consistent, never for speed.
@Suite(.serialized) struct FlexTCPSystemTests {
    static func run(_ spec: WorkloadSpec, on name: String) throws -> RunResult {
        try SystemRuns.run(try #require(SystemCatalog.system(named: name)), spec)
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
        try SystemRuns.expectHealthy(result)
        #expect(result.gigabitsPerSecond > 0)
    }

    @Test(arguments: [Workload.serverReceive, .serverSend, .bulk])
    func oneWayWorkloadsOnTheMemoryWire(workload: Workload) throws {
        let size = workload == .bulk ? 65536 : 64
        let result = try Self.run(WorkloadSpec(workload: workload, connections: 2, size: size, pipeline: 4), on: "flextcp-memory")
        try SystemRuns.expectHealthy(result)
    }

    @Test func churnOnTheMemoryWire() throws {
        let result = try Self.run(WorkloadSpec(workload: .churn, connections: 4, size: 64), on: "flextcp-memory")
        try SystemRuns.expectHealthy(result)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root for network namespaces"))
    func echoOverVeth() throws {
        let result = try Self.run(WorkloadSpec(workload: .echo, connections: 2, size: 100, pipeline: 2), on: "flextcp-veth")
        try SystemRuns.expectHealthy(result)
    }
}
#endif
