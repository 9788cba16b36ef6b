import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs one workload on Linux kernel TCP: a server worker listening on `listenAddress` and a client
/// worker connecting to it, each with its own `EpollEventLoop` (sleeping in epoll_wait, or spinning on
/// it with timeout 0 when `busyPolling`).
///
/// Contract: the server creates its listening socket (port chosen by the kernel) and publishes its
/// address before it arrives at the start barrier; the client connects after the barrier. Each
/// worker then loops until its timeline ends, closes every socket and reports. `place` runs a
/// worker body where that worker belongs (e.g. in a test host's namespace) and passes on the CPU
/// the body runs pinned to.
enum LinuxWorkers {
    typealias Body = (_ cpu: Int?) throws -> WorkerReport
    typealias Placement = @Sendable (_ role: WorkerRole, _ cpu: Int?, _ body: Body) throws -> WorkerReport

    /// Descriptors a run may need beyond its connections' (listener, epoll, standard streams, slack).
    static let spareDescriptors = 64

    static func run(_ spec: WorkloadSpec, control: RunControl, listenAddress: IPv4Endpoint, busyPolling: Bool = false,
                    place: @escaping Placement) throws(BenchmarkFailure) -> [WorkerReport] {
        try ensureDescriptorLimit(2 * spec.connections + spareDescriptors)
        let published = PublishedEndpoint()
        return try WorkerThreads.run(
            server: { cpu in
                try place(.server, cpu) { cpu in try server(spec, control: control, listenAddress: listenAddress, publish: published, busyPolling: busyPolling, cpu: cpu)
                }
            },
            client: { cpu in
                try place(.client, cpu) { cpu in try client(spec, control: control, server: published, busyPolling: busyPolling, cpu: cpu) }
            },
            control: control)
    }

    private static func server(_ spec: WorkloadSpec, control: RunControl, listenAddress: IPv4Endpoint,
                               publish: PublishedEndpoint, busyPolling: Bool, cpu: Int?) throws(BenchmarkFailure) -> WorkerReport {
        let loop = try EpollEventLoop(endpoint: WorkloadEndpoint(spec: spec, role: .server), busyPolling: busyPolling)
        defer { loop.closeAll() }
        let (listener, bound) = try LinuxSocket.listen(on: listenAddress)
        try loop.serve(listener: listener)
        publish.set(bound)
        return try measure(loop, control: control, cpu: cpu)
    }

    private static func client(_ spec: WorkloadSpec, control: RunControl, server: PublishedEndpoint,
                               busyPolling: Bool, cpu: Int?) throws(BenchmarkFailure) -> WorkerReport {
        let loop = try EpollEventLoop(endpoint: WorkloadEndpoint(spec: spec, role: .client), busyPolling: busyPolling)
        defer { loop.closeAll() }
        return try measure(loop, control: control, cpu: cpu) { () throws(BenchmarkFailure) in
            guard let address = server.value else { throw BenchmarkFailure("the server published no address") }
            try loop.connect(to: address, count: spec.connections)
        }
    }

    /// Barrier, `start`, the loop until the timeline ends, every socket closed, the report.
    private static func measure(_ loop: EpollEventLoop, control: RunControl, cpu: Int?,
                                start: () throws(BenchmarkFailure) -> Void = {}) throws(BenchmarkFailure) -> WorkerReport {
        guard let window = control.arrive() else { throw BenchmarkFailure("the run stopped before it started") }
        var timeline = WorkerTimeline(window: window, control: control)
        try start()
        try loop.run(&timeline)
        loop.closeAll()
        return timeline.report(endpoint: loop.endpoint, cpu: cpu)
    }

    /// Raises the soft limit on open descriptors to `needed` if the hard limit allows; throws if
    /// it cannot be raised far enough.
    static func ensureDescriptorLimit(_ needed: Int) throws(BenchmarkFailure) {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { throw LinuxSocket.failure("getrlimit(RLIMIT_NOFILE)") }
        guard limit.rlim_cur < rlim_t(needed) else { return }
        guard limit.rlim_max >= rlim_t(needed) else {
            throw BenchmarkFailure("\(needed) open files needed, but the limit is \(limit.rlim_max) (see ulimit -n)")
        }
        limit.rlim_cur = rlim_t(needed)
        guard setrlimit(resource, &limit) == 0 else { throw LinuxSocket.failure("setrlimit(RLIMIT_NOFILE)") }
    }
}

/// The server's listening address, published before the start barrier for the client to read after it.
private final class PublishedEndpoint: Sendable {
    private let endpoint = Mutex<IPv4Endpoint?>(nil)
    func set(_ value: IPv4Endpoint) { endpoint.withLock { $0 = value } }
    var value: IPv4Endpoint? { endpoint.withLock { $0 } }
}
