import FlexPort

/// FlexTCP in embedded mode on the in-memory wire: the server's stack and the client's stack each
/// run on their worker's pinned core, busy-polling (runtime, library and workload in one loop on
/// the `contexts` path; fast path, slow path and workload on the `runToCompletion` path, so the
/// polling counts as used CPU). Compared with the best of the Linux loopback baselines per metric.
///
/// The wire's MTU defaults to the largest IPv4 packet, 65,535 bytes: Linux's loopback MTU (65,536)
/// as far as IPv4 can use it, so both move segments of the same size (MSS 65,483 with timestamps).
public struct FlexTCPMemorySystem: BenchmarkSystem {
    /// The largest IPv4 packet (its total length field has 16 bits), the default MTU.
    public static let defaultMTU = 65_535
    /// The MTUs the wire can run at: IPv4's minimum reassembly size up to the largest IPv4 packet.
    public static let mtuRange = 576...defaultMTU

    /// Why `mtu` cannot be the wire's, in words; nil when it is in `mtuRange`.
    public static func mtuProblem(_ mtu: Int) -> String? {
        mtuRange.contains(mtu) ? nil : "MTU \(mtu) is outside \(mtuRange.lowerBound)...\(mtuRange.upperBound)"
    }

    public let name: String
    public var baselineNames: [String] { SystemCatalog.loopbackBaselines.map(\.name) }
    public let needsRoot = false
    /// The wire's MTU (IP packet bytes; frames are 14 bytes longer).
    public let mtu: Int?
    let path: FlexTCPApplicationPath
    var stacks: FlexTCPBenchmarkStack

    /// `flextcp-memory` (through contexts) or `flextcp-rtc-memory` (run to completion), on a wire of
    /// `mtu` (checked when it runs: outside `mtuRange` the run fails).
    public init(path: FlexTCPApplicationPath = .contexts, mtu: Int = defaultMTU) {
        self.path = path
        self.mtu = mtu
        name = "flextcp-\(path.nameInfix)memory"
        stacks = FlexTCPBenchmarkStack()
    }

    /// The same system on a wire of `mtu`.
    public func withMTU(_ mtu: Int) -> FlexTCPMemorySystem {
        var system = FlexTCPMemorySystem(path: path, mtu: mtu)
        system.stacks = stacks
        return system
    }

    /// The congestion control of both stacks.
    public var congestionControl: BenchmarkCongestionControl { stacks.congestionControl }

    /// The same system with `congestionControl` in both stacks.
    public func withCongestionControl(_ congestionControl: BenchmarkCongestionControl) -> FlexTCPMemorySystem {
        var system = self
        system.stacks.congestionControl = congestionControl
        return system
    }

    public var summary: String {
        "FlexTCP: two embedded stacks joined by an in-memory wire (frames up to MTU + 14 bytes), each busy-polling on its worker's core; \(path.summary); "
            + "\(stacks.congestionControlDescription); " + FlexTCPBenchmarkStack.limitsDescription
    }

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        let wire = try BenchmarkWire.makeMemoryWire(for: spec, mtu: mtu ?? Self.defaultMTU)
        let stacks = stacks
        let path = path
        return try WorkerThreads.run(
            server: { cpu in try stacks.runWorker(spec, role: .server, port: wire.b, path: path, control: control, cpu: cpu) },
            client: { cpu in try stacks.runWorker(spec, role: .client, port: wire.a, path: path, control: control, cpu: cpu) },
            control: control)
    }
}
