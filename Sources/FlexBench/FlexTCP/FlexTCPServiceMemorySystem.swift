import FlexPort
import FlexTCP
import FlexTestHosts
import FlexWire
#if canImport(Glibc)
import Glibc
#endif

/// FlexTCP in service mode on the in-memory wire, for the cost of protection beside
/// `flextcp-memory` (embedded): the client is an application of a flextcpd started for the run
/// (`flextcpd --memory-peer --idle poll`, the executable next to this one), busy-polling its one
/// context while flextcpd's thread runs the stack; the server is flextcpd's memory peer (an
/// embedded stack on a thread of flextcpd echoing on port 7, over a 1,500-byte-MTU wire). The
/// server's CPU is all of flextcpd's (service and peer) over the measured interval.
///
/// Contract: echo only (the peer only echoes), at most `connectionLimit` connections; flextcpd
/// is stopped and its socket removed on every exit path.
public struct FlexTCPServiceMemorySystem: BenchmarkSystem {
    public let name = "flextcp-service-memory"
    public var baselineNames: [String] { SystemCatalog.loopbackBaselines.map(\.name) }
    public let needsRoot = false
    /// It starts a flextcpd: `--compare` leaves it out.
    public let runsOnlyWhenNamed = true
    /// The memory peer's wire: Ethernet frames of 1,514 bytes.
    public let mtu: Int? = 1500
    /// flextcpd's default connections per application.
    static let connectionLimit = 64
    static let serviceAddress = "198.18.62.1/24"
    static let peerAddress = IPv4Address(198, 18, 62, 2)

    public init() {}

    public var summary: String {
        "FlexTCP service mode: the client attached to a flextcpd started for the run (--memory-peer, --idle poll), busy-polling its context; "
            + "the server is flextcpd's memory peer (embedded stack, echo on port 7) on a 1,500-byte-MTU in-memory wire; server CPU = all of flextcpd's"
    }

    public func unavailableReason(for spec: WorkloadSpec) -> String? {
        if spec.workload != .echo { return "flextcpd's memory peer only echoes (give --workload echo)" }
        if spec.connections > Self.connectionLimit { return "flextcpd allows \(Self.connectionLimit) connections per application" }
        if Self.serviceExecutable() == nil { return "flextcpd is not built next to flexbench (swift build --product flextcpd)" }
        return nil
    }

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        guard let executable = Self.serviceExecutable() else { throw BenchmarkFailure("flextcpd is not built next to flexbench") }
        let socketPath = "/tmp/flexbench-service-\(getpid()).sock"
        unlink(socketPath)
        let service: RunningCommand
        do {
            service = try RunningCommand([executable, "--memory-peer", "\(Self.peerAddress)", "--ip", Self.serviceAddress,
                                          "--service", socketPath, "--idle", "poll", "--log-level", "error"])
        } catch {
            throw BenchmarkFailure("cannot start flextcpd: \(error)")
        }
        defer {
            _ = service.stop()
            unlink(socketPath)
            unlink(socketPath + ".metrics")
        }
        guard Self.waitForSocket(socketPath, seconds: 30) else { throw BenchmarkFailure("flextcpd did not get ready: \(service.stop())") }
        let servicePID = service.processID
        let peer = Self.peerAddress
        return try WorkerThreads.run(
            server: { _ in try Self.observe(servicePID, control: control) },
            client: { cpu in
                try FlexTCPStack.withAttachedStack(service: socketPath) { stack in
                    let worker = FlexTCPContextWorker(attachedContext: try stack.makeContext(), endpoint: WorkloadEndpoint(spec: spec, role: .client),
                                                      flowCapacity: Self.connectionLimit, server: (peer, 7))
                    return try worker.run(control: control, cpu: cpu)
                }
            },
            control: control)
    }

    /// The server's report: flextcpd's CPU time (all threads) over the measured interval.
    private static func observe(_ pid: pid_t, control: RunControl) throws -> WorkerReport {
        let clock = MonotonicTimeSource()
        guard let window = control.arrive(clock: clock) else { throw BenchmarkFailure("the run stopped before it started") }
        func sleep(until deadline: UInt64) {
            while !control.hasFailed {
                let now = clock.now()
                guard now < deadline else { return }
                usleep(UInt32(min(10_000, (deadline - now) / 1000 + 1)))
            }
        }
        sleep(until: window.start)
        let (startTime, startCPU) = try (clock.now(), ProcessCPUTime.nanoseconds(of: pid))
        sleep(until: window.end)
        let (endTime, endCPU) = try (clock.now(), ProcessCPUTime.nanoseconds(of: pid))
        return WorkerReport(role: .server, cpu: nil, cpuSeconds: Double(endCPU &- startCPU) / 1e9,
                            measuredSeconds: Double(endTime - startTime) / 1e9, metrics: EndpointMetrics())
    }

    /// flextcpd next to this executable, if built.
    static func serviceExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let executable = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let candidate = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/flextcpd"
        return access(candidate, X_OK) == 0 ? candidate : nil
    }

    private static func waitForSocket(_ path: String, seconds: Int) -> Bool {
        for _ in 0..<(seconds * 50) {
            if access(path, F_OK) == 0 { return true }
            usleep(20_000)
        }
        return false
    }
}
