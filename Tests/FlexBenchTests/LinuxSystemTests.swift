@testable import FlexBench
import Glibc
import Testing

/// Short runs of the Linux kernel TCP baselines: each workload must complete messages without
/// errors, charge CPU time and report both workers. Nothing here depends on how fast it runs.
@Suite(.serialized) struct LinuxSystemTests {
    static func run(_ system: any BenchmarkSystem, _ spec: WorkloadSpec) throws -> RunResult { try SystemRuns.run(system, spec) }
    static func expectHealthy(_ result: RunResult) throws { try SystemRuns.expectHealthy(result) }

    @Test(arguments: [
        WorkloadSpec(workload: .echo, connections: 2, size: 100, pipeline: 2),
        WorkloadSpec(workload: .serverReceive, connections: 2, size: 100, pipeline: 4, delayCycles: 100),
        WorkloadSpec(workload: .serverSend, connections: 2, size: 100, pipeline: 4),
        WorkloadSpec(workload: .bulk, connections: 1, size: 65536),
        WorkloadSpec(workload: .churn, connections: 4, size: 64),
    ])
    func loopbackRunsWorkload(spec: WorkloadSpec) throws {
        let result = try Self.run(LinuxLoopbackSystem(), spec)
        try Self.expectHealthy(result)
        if spec.workload == .bulk { #expect(result.gigabitsPerSecond > 0) }
    }

    @Test func loopbackEchoWithLargeMessagesAndDeepPipeline() throws {
        // Messages larger than a socket write and an echo server whose output fills up.
        try Self.expectHealthy(try Self.run(LinuxLoopbackSystem(), WorkloadSpec(workload: .echo, connections: 3, size: 300_000, pipeline: 8)))
    }

    @Test(.enabled(if: geteuid() == 0, "linux-veth needs root to create network namespaces"))
    func vethRunsEcho() throws {
        try Self.expectHealthy(try Self.run(LinuxVethSystem(), WorkloadSpec(workload: .echo, connections: 2, size: 100, pipeline: 2)))
    }

    @Test func vethIsListedAsNeedingRoot() {
        #expect(SystemCatalog.system(named: "linux-veth")?.needsRoot == true)
        #expect(SystemCatalog.system(named: "linux-loopback")?.needsRoot == false)
        #expect(SystemCatalog.comparison(includeTestHosts: false).contains { $0.name == "linux-loopback" })
        #expect(!SystemCatalog.comparison(includeTestHosts: false).contains { $0.name == "linux-veth" })
    }

    @Test func failedServerStopsTheRunWithWords() throws {
        // A server worker that cannot listen (address not on this host) fails the run; the client
        // must not hang at the barrier, and the failure must say what went wrong.
        let control = SystemRuns.control()
        let spec = WorkloadSpec(workload: .echo)
        #expect {
            _ = try LinuxWorkers.run(spec, control: control, listenAddress: IPv4Endpoint("198.18.61.1")!) { _, cpu, body in try body(cpu) }
        } throws: { error in
            (error as? BenchmarkFailure)?.description.contains("bind to 198.18.61.1:0 failed") == true
        }
    }
}

/// The socket helpers the Linux event loop relies on.
@Suite struct LinuxSocketTests {
    @Test func endpointParsesAndPrintsDottedQuads() {
        #expect(IPv4Endpoint("127.0.0.1", port: 80)?.description == "127.0.0.1:80")
        #expect(IPv4Endpoint("198.18.60.1")?.socketAddress.sin_addr.s_addr == UInt32(198 | 18 << 8 | 60 << 16 | 1 << 24))
        #expect(IPv4Endpoint("not an address") == nil)
    }

    @Test func listenerGetsAPortAndAcceptedSocketsInheritNoDelay() throws {
        let (listener, bound) = try LinuxSocket.listen(on: IPv4Endpoint("127.0.0.1")!)
        defer { close(listener) }
        #expect(bound.port != 0)
        let client = try LinuxSocket.makeStreamSocket()
        defer { close(client) }
        #expect(LinuxSocket.startConnect(client, to: bound) == 0)
        var accepted: Int32 = -1
        for _ in 0..<1000 where accepted < 0 {
            accepted = accept(listener, nil, nil)
            if accepted < 0 { usleep(1000) }
        }
        try #require(accepted >= 0)
        defer { close(accepted) }
        var noDelay: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(accepted, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, &length) == 0)
        #expect(noDelay == 1)
        #expect(LinuxSocket.pendingError(client) == 0)
    }

    @Test func refusedConnectIsReportedAsAnErrorCode() throws {
        // Bind a port and close it without listening: connecting there is refused.
        let (listener, bound) = try LinuxSocket.listen(on: IPv4Endpoint("127.0.0.1")!)
        close(listener)
        let client = try LinuxSocket.makeStreamSocket()
        defer { close(client) }
        var code = LinuxSocket.startConnect(client, to: bound)
        for _ in 0..<1000 where code == 0 {
            code = LinuxSocket.pendingError(client)
            if code == 0 { usleep(1000) }
        }
        #expect(code == ECONNREFUSED)
        #expect(LinuxSocket.failure("connect", code: code).description.contains("refused"))
    }
}
