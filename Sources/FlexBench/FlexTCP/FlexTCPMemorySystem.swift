import FlexPort

/// FlexTCP in embedded mode on the in-memory wire: the server's stack and the client's stack each
/// run on their worker's pinned core, busy-polling (runtime, library and workload in one loop on
/// the `contexts` path; fast path, slow path and workload on the `runToCompletion` path, so the
/// polling counts as used CPU). Compared with the best of the Linux loopback baselines per metric.
public struct FlexTCPMemorySystem: BenchmarkSystem {
    public let name: String
    public var baselineNames: [String] { SystemCatalog.loopbackBaselines.map(\.name) }
    public let needsRoot = false
    let path: FlexTCPApplicationPath
    let stacks: FlexTCPBenchmarkStack

    /// `flextcp-memory` (through contexts) or `flextcp-rtc-memory` (run to completion).
    public init(path: FlexTCPApplicationPath = .contexts) {
        self.path = path
        name = "flextcp-\(path.nameInfix)memory"
        stacks = FlexTCPBenchmarkStack()
    }

    public var summary: String {
        "FlexTCP: two embedded stacks joined by an in-memory wire, each busy-polling on its worker's core; \(path.summary); "
            + "\(stacks.congestionControlDescription); " + FlexTCPBenchmarkStack.limitsDescription
    }

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        let wire: MemoryWire
        do {
            wire = try MemoryWire(capacity: FlexTCPBenchmarkStack.framesInFlight(for: spec), maximumFrameLength: 1514,
                                  trustsPartialChecksums: true)
        } catch {
            throw BenchmarkFailure("cannot make the in-memory wire: \(error)")
        }
        let stacks = stacks
        let path = path
        return try WorkerThreads.run(
            server: { cpu in try stacks.runWorker(spec, role: .server, port: wire.b, path: path, control: control, cpu: cpu) },
            client: { cpu in try stacks.runWorker(spec, role: .client, port: wire.a, path: path, control: control, cpu: cpu) },
            control: control)
    }
}
