/// Linux kernel TCP between two threads of this process over 127.0.0.1: the embedded baseline,
/// needing no root.
///
/// Contract: as `BenchmarkSystem`; the server worker listens on a port the kernel picks, both
/// workers run `EpollEventLoop` on the threads `WorkerThreads` pins.
public struct LinuxLoopbackSystem: BenchmarkSystem {
    public let name = "linux-loopback"
    public let baselineName: String? = nil
    public let summary = "Linux kernel TCP over 127.0.0.1, epoll loop per worker (server thread ↔ client thread)"
    public let needsRoot = false

    public init() {}

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        try LinuxWorkers.run(spec, control: control, listenAddress: IPv4Endpoint("127.0.0.1")!) { _, cpu, body in try body(cpu) }
    }
}
