import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// Both ends of a loopback workload on one thread: the server's and the client's `EpollEventLoop`
/// served in turn, so no message waits for a wake-up or a context switch (loopback delivers a sent
/// segment before `send` returns, so the other end's loop finds it ready on its turn).
///
/// Contract: as `OneThreadDriver`. A pass polls each loop once without waiting; only when neither
/// had an event does it sleep, in an outer epoll over both loops' epoll descriptors, until one has
/// (or the next timeline boundary, at most `EpollEventLoop.longestWaitMilliseconds`).
final class OneCoreEpollPair: OneThreadDriver {
    private let serverLoop: EpollEventLoop
    private let clientLoop: EpollEventLoop
    private let outer: Int32
    private let serverAddress: IPv4Endpoint
    private let connections: Int

    var server: WorkloadEndpoint { serverLoop.endpoint }
    var client: WorkloadEndpoint { clientLoop.endpoint }

    init(_ spec: WorkloadSpec) throws(BenchmarkFailure) {
        try LinuxWorkers.ensureDescriptorLimit(2 * spec.connections + LinuxWorkers.spareDescriptors)
        serverLoop = try EpollEventLoop(endpoint: WorkloadEndpoint(spec: spec, role: .server))
        clientLoop = try EpollEventLoop(endpoint: WorkloadEndpoint(spec: spec, role: .client))
        connections = spec.connections
        let (listener, bound) = try LinuxSocket.listen(on: IPv4Endpoint.loopback)
        try serverLoop.serve(listener: listener)
        serverAddress = bound
        outer = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard outer >= 0 else { throw LinuxSocket.failure("epoll_create1") }
        for inner in [serverLoop.epoll, clientLoop.epoll] {
            var event = epoll_event()
            event.events = UInt32(EPOLLIN.rawValue)
            event.data.fd = inner
            guard epoll_ctl(outer, EPOLL_CTL_ADD, inner, &event) == 0 else { throw LinuxSocket.failure("epoll_ctl(ADD)") }
        }
    }

    deinit {
        closeAll()
        close(outer)
    }

    func begin(window: MeasurementWindow) throws(BenchmarkFailure) {
        serverLoop.begin(window: window)
        clientLoop.begin(window: window)
        try clientLoop.connect(to: serverAddress, count: connections)
    }

    func pass(boundary: UInt64) throws(BenchmarkFailure) {
        let served = try serverLoop.poll(waitMilliseconds: 0) + clientLoop.poll(waitMilliseconds: 0)
        guard served == 0 else { return }
        var event = epoll_event()
        if epoll_wait(outer, &event, 1, clientLoop.waitMilliseconds(until: boundary)) < 0 && errno != EINTR {
            throw LinuxSocket.failure("epoll_wait")
        }
    }

    func closeAll() {
        serverLoop.closeAll()
        clientLoop.closeAll()
    }
}
