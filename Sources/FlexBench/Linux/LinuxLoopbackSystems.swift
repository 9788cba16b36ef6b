/// Linux kernel TCP over 127.0.0.1 in this process, needing no root: the embedded baselines, each a
/// different way for an application to drive the same kernel path. FlexTCP on the in-memory wire
/// is compared with the best of them per metric.

/// Linux loopback with the server and the client on different cores, each in a sleeping epoll loop:
/// every message pays a cross-core wake-up.
///
/// Contract: as `BenchmarkSystem`; the server worker listens on a port the kernel picks, both
/// workers run `EpollEventLoop` on the threads `WorkerThreads` pins.
public struct LinuxLoopbackSystem: BenchmarkSystem {
    public let name = "linux-loopback"
    public let baselineNames: [String] = []
    public let summary = "Linux kernel TCP over 127.0.0.1, sleeping epoll loop per worker (server thread on one core ↔ client thread on the other)"
    public let needsRoot = false
    public var mtu: Int? { InterfaceMTU.loopback }

    public init() {}

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        try LinuxWorkers.run(spec, control: control, listenAddress: IPv4Endpoint.loopback) { _, cpu, body in try body(cpu) }
    }
}

/// Linux loopback with both ends on one core and one thread (`OneCoreEpollPair`): no wake-ups and
/// no context switches per message.
public struct LinuxOneCoreSystem: BenchmarkSystem {
    public let name = "linux-one-core"
    public let baselineNames: [String] = []
    public let summary = "Linux kernel TCP over 127.0.0.1, both ends on one thread pinned to one core: the server's and the client's "
        + "epoll loops in turn, sleeping only when neither has work"
    public let needsRoot = false
    public var mtu: Int? { InterfaceMTU.loopback }

    public init() {}

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        try OneThreadRun.run(control: control) { () throws(BenchmarkFailure) in try OneCoreEpollPair(spec) }
    }
}

/// Linux loopback with the server and the client on different cores, each spinning on
/// non-blocking sockets (epoll_wait with timeout 0): no sleeping, so no wake-up latency.
public struct LinuxBusyPollSystem: BenchmarkSystem {
    public let name = "linux-busy-poll"
    public let baselineNames: [String] = []
    public let summary = "Linux kernel TCP over 127.0.0.1, non-blocking sockets busy-polled (epoll_wait timeout 0) by a server thread "
        + "on one core and a client thread on the other"
    public let needsRoot = false
    public var mtu: Int? { InterfaceMTU.loopback }

    public init() {}

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        try LinuxWorkers.run(spec, control: control, listenAddress: IPv4Endpoint.loopback, busyPolling: true) { _, cpu, body in
            try body(cpu)
        }
    }
}

/// Linux loopback with both ends' sockets on one io_uring driven by one thread on one core
/// (`URingLoopbackPair`).
public struct LinuxIOURingSystem: BenchmarkSystem {
    public let name = "linux-io-uring"
    public let baselineNames: [String] = []
    public let summary = "Linux kernel TCP over 127.0.0.1, both ends' sockets on one io_uring (raw system calls) driven by one thread "
        + "pinned to one core"
    public let needsRoot = false
    public var mtu: Int? { InterfaceMTU.loopback }

    public init() {}

    public func unavailableReason(for spec: WorkloadSpec) -> String? {
        if spec.workload == .churn { return churnRefusal }
        return URingLoopbackPair.unavailableReason()
    }

    private var churnRefusal: String { "\(name) runs a fixed set of connections (echo, one-way, bulk), not churn" }

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        // Availability was asked before the run (`unavailableReason`); a ring the kernel refuses
        // now fails in `URingLoopbackPair.init` with its reason.
        if spec.workload == .churn { throw BenchmarkFailure(churnRefusal) }
        return try OneThreadRun.run(control: control) { () throws(BenchmarkFailure) in try URingLoopbackPair(spec) }
    }
}
