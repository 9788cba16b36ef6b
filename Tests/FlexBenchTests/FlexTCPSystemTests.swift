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

    /// Both ways the workload can reach the stack: through the library's contexts and run to completion.
    static let memorySystems = ["flextcp-memory", "flextcp-rtc-memory"]
    /// Both paths on AF_PACKET, and the library path on AF_XDP with native and generic XDP.
    static let vethSystems = ["flextcp-veth", "flextcp-rtc-veth", "flextcp-veth-xdp", "flextcp-veth-xdp-generic"]

    @Test func systemsAreListedBeforeTheirBaselines() throws {
        let names = SystemCatalog.all.map(\.name)
        for name in Self.memorySystems + Self.vethSystems {
            let system = try #require(SystemCatalog.system(named: name))
            let onVeth = name.contains("-veth")
            let loopbackBaselines = ["linux-loopback", "linux-one-core", "linux-busy-poll", "linux-io-uring"]
            #expect(system.baselineNames == (onVeth ? ["linux-veth"] : loopbackBaselines) && system.needsRoot == onVeth)
            for baseline in system.baselineNames {
                let at = try #require(names.firstIndex(of: baseline))
                #expect(names.firstIndex(of: system.name)! < at)
            }
        }
    }

    @Test("The FlexTCP systems' summaries say which congestion control runs; the choice survives a change of MTU")
    func congestionControlInTheSummary() throws {
        let memory = FlexTCPMemorySystem()
        #expect(memory.congestionControl == BenchmarkCongestionControl.systemsDefault)
        let on = memory.withCongestionControl(.dctcp).withMTU(9000)
        #expect(on.congestionControl == .dctcp && on.mtu == 9000 && on.summary.contains("DCTCP on"))
        let off = memory.withCongestionControl(.off)
        #expect(off.congestionControl == .off && off.summary.contains("no congestion control") && !off.summary.contains("DCTCP"))
    }

    @Test func theDefaultSystemsUseTheLibraryAndCompareWithRunToCompletion() throws {
        let memory = try #require(SystemCatalog.system(named: "flextcp-memory"))
        let runToCompletion = try #require(SystemCatalog.system(named: "flextcp-rtc-memory"))
        #expect(memory.summary.contains("FlexTCP library") && runToCompletion.summary.contains("run to completion"))
        let compared = SystemCatalog.comparison(includeTestHosts: false).map(\.name)
        #expect(compared == ["flextcp-memory", "flextcp-rtc-memory", "linux-loopback", "linux-one-core", "linux-busy-poll", "linux-io-uring"])
        #expect(SystemCatalog.comparison(includeTestHosts: true).map(\.name).contains("flextcp-rtc-veth"))
    }

    @Test(arguments: memorySystems)
    func echoOnTheMemoryWire(system: String) throws {
        let result = try Self.run(WorkloadSpec(workload: .echo, connections: 2, size: 100, pipeline: 2), on: system)
        try SystemRuns.expectHealthy(result)
        #expect(result.gigabitsPerSecond > 0)
        #expect(result.kicksPerMessage == nil, "the in-memory wire has no kernel to kick")
    }

    @Test("flextcp-service-memory: a client attached to a flextcpd started for the run echoes with the service's memory peer; flextcpd's CPU is the server's; echo only")
    func echoThroughTheService() throws {
        let system = try #require(SystemCatalog.system(named: "flextcp-service-memory"))
        #expect(system.unavailableReason(for: WorkloadSpec(workload: .serverSend)) != nil)
        #expect(system.unavailableReason(for: WorkloadSpec(workload: .echo, connections: 65)) != nil)
        #expect(!SystemCatalog.comparison(includeTestHosts: true).map(\.name).contains(system.name))
        let result = try Self.run(WorkloadSpec(workload: .echo, connections: 2, size: 100, pipeline: 2), on: system.name)
        try SystemRuns.expectHealthy(result)
    }

    @Test(arguments: memorySystems, [Workload.serverReceive, .serverSend, .bulk])
    func oneWayWorkloadsOnTheMemoryWire(system: String, workload: Workload) throws {
        let size = workload == .bulk ? 65536 : 64
        let result = try Self.run(WorkloadSpec(workload: workload, connections: 2, size: size, pipeline: 4), on: system)
        try SystemRuns.expectHealthy(result)
    }

    @Test(arguments: memorySystems)
    func churnOnTheMemoryWire(system: String) throws {
        let result = try Self.run(WorkloadSpec(workload: .churn, connections: 4, size: 64), on: system)
        try SystemRuns.expectHealthy(result)
    }

    @Test("Echo with messages larger than a segment and more connections than the context queues' minimum slots")
    func echoManyConnectionsThroughContexts() throws {
        let result = try Self.run(WorkloadSpec(workload: .echo, connections: 300, size: 3000, pipeline: 2), on: "flextcp-memory")
        try SystemRuns.expectHealthy(result)
    }

    @Test("Both sides stepped in turn on one thread complete a fixed number of messages, on either path, in the same rounds",
          arguments: FlexTCPApplicationPath.allCases)
    func interleavedEcho(path: FlexTCPApplicationPath) throws {
        let outcome = try InterleavedRun.run(WorkloadSpec(workload: .echo, connections: 4, size: 64, pipeline: 2), path: path,
                                             messages: 1_000, maximumSteps: 100_000)
        #expect(outcome.messages >= 1_000 && outcome.messages < 1_000 + 8)
        #expect(outcome.errors == 0)
        // Request and answer each take one round to cross the wire and one to be served.
        #expect(outcome.rounds < 1_000)
    }

    @Test("After the messages, idle rounds drain what is in flight and issue nothing new", arguments: FlexTCPApplicationPath.allCases)
    func interleavedEchoGoesIdle(path: FlexTCPApplicationPath) throws {
        let outcome = try InterleavedRun.run(WorkloadSpec(workload: .echo, connections: 4, size: 64, pipeline: 2), path: path,
                                             messages: 200, idleRounds: 2_000, maximumSteps: 100_000)
        // 2,000 more rounds of a client still issuing would complete hundreds more.
        #expect(outcome.messages >= 200 && outcome.messages <= 200 + 8)
        #expect(outcome.rounds < 1_000)
        #expect(outcome.errors == 0)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root for network namespaces"), arguments: vethSystems)
    func echoOverVeth(system: String) throws {
        let result = try Self.run(WorkloadSpec(workload: .echo, connections: 2, size: 100, pipeline: 2), on: system)
        try SystemRuns.expectHealthy(result)
        // Request, answer and their ACKs: at most one kick per frame.
        let kicks = try #require(result.kicksPerMessage, "the ports count their kernel kicks")
        #expect(kicks > 0 && kicks <= 4, "\(kicks) kicks per message")
    }

    /// The ACK of each message leaves in one kick with the answer (server) or the next request
    /// (client): one kick per side per RPC, where one per frame made four.
    @Test(.enabled(if: geteuid() == 0, "needs root for network namespaces"), arguments: vethSystems)
    func twoKernelKicksPerRPCAtOneConnection(system: String) throws {
        let result = try Self.run(WorkloadSpec(workload: .echo, connections: 1, size: 64, pipeline: 1), on: system)
        try SystemRuns.expectHealthy(result)
        let kicks = try #require(result.kicksPerMessage)
        #expect(kicks <= 2.05, "\(kicks) kicks per RPC")
    }
}
#endif
