import FlexPort

/// FlexTCP in embedded run-to-completion mode on the in-memory wire: the server's stack and the
/// client's stack each run on their worker's pinned core, busy-polling (fast path, slow path and
/// workload in one loop, so the polling counts as used CPU). Compared with Linux TCP on loopback.
public struct FlexTCPMemorySystem: BenchmarkSystem {
    public let name = "flextcp-memory"
    public let baselineName: String? = "linux-loopback"
    public let needsRoot = false
    let stacks: FlexTCPBenchmarkStack

    public init() { stacks = FlexTCPBenchmarkStack() }

    public var summary: String {
        "FlexTCP: two embedded stacks joined by an in-memory wire, each run to completion (fast path, slow path and workload "
            + "busy-polling) on its worker's core; \(stacks.congestionControlDescription); " + FlexTCPBenchmarkStack.limitsDescription
    }

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        let wire: MemoryWire
        do {
            wire = try MemoryWire(capacity: FlexTCPBenchmarkStack.framesInFlight(for: spec), maximumFrameLength: 1514)
        } catch {
            throw BenchmarkFailure("cannot make the in-memory wire: \(error)")
        }
        let stacks = stacks
        return try WorkerThreads.run(
            server: { cpu in try stacks.runWorker(spec, role: .server, port: wire.b, control: control, cpu: cpu) },
            client: { cpu in try stacks.runWorker(spec, role: .client, port: wire.a, control: control, cpu: cpu) },
            control: control)
    }
}
