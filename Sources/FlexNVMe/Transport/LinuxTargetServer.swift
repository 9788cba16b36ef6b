import CFlexShim
import FlexPort
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The target on the Linux kernel's sockets: a listening socket on every address, connections
/// grouped per thread. With the epoll engine each group is one epoll instance (the listener is in
/// every group's epoll with EPOLLEXCLUSIVE, so whichever group wakes accepts), non-blocking sockets
/// driven by `SocketStream` (MSG_ZEROCOPY sends if `options` ask); with the io_uring engine each group
/// is one ring (`URingConnections`: the listener polled through it, every connection's receive and
/// send submitted together).
///
/// Contract: `run` serves until `stop()` (from any thread), then closes every connection (tearing
/// their queues and controllers down) and returns. `port` is the port actually bound.
public final class LinuxTargetServer: Sendable {
    public let target: NVMeTarget
    public let port: UInt16
    private let listener: Int32
    private let threads: Int
    public let options: SocketTransportOptions
    /// What the zero-copy sends came to (all zero unless `options.zeroCopySends`).
    public let zeroCopy = ZeroCopyCounters()
    private let stopping = Atomic<Bool>(false)
    /// Bytes of each connection's receive buffer: the largest verified-first PDU fits.
    static let bufferCapacity = 256 * 1024

    /// Listens on `target.configuration.port` (0: any free port) with `threads` groups.
    public init(target: NVMeTarget, threads: Int = 1, options: SocketTransportOptions = SocketTransportOptions()) throws(HostError) {
        self.target = target
        self.threads = max(1, threads)
        self.options = options
        if options.engine == .uring { _ = try URingConnections(entries: 8) }  // io_uring may be disabled: say so here, not in a group
        let descriptor = try SocketSetup.listen(port: target.configuration.port)
        listener = descriptor
        port = SocketSetup.localPort(descriptor)
    }

    /// Asks `run` to return.
    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// Serves on the calling thread and `threads - 1` more until `stop()`.
    public func run() {
        var others: [pthread_t] = []
        for _ in 1..<threads {
            let box = Unmanaged.passRetained(self)
            var thread = pthread_t()
            pthread_create(&thread, nil, { argument in
                let server = Unmanaged<LinuxTargetServer>.fromOpaque(argument!).takeRetainedValue()
                server.serveGroup()
                return nil
            }, box.toOpaque())
            others.append(thread)
        }
        serveGroup()
        for thread in others { pthread_join(thread, nil) }
        Glibc.close(listener)
    }

    private func serveGroup() {
        switch options.engine {
        case .epoll: serveEpollGroup()
        case .uring: serveURingGroup()
        }
    }

    /// One group: an io_uring with the listener's poll and the connections it accepted.
    private func serveURingGroup() {
        guard let connections = try? URingConnections() else { return }
        connections.watch(listener: listener)
        var lastTimerCheck: UInt64 = 0
        let clock = MonotonicTimeSource()
        while !stopping.load(ordering: .relaxed) {
            guard (try? connections.cycle(timeoutNanoseconds: 20_000_000)) != nil else { break }
            if connections.listenerIsReady {
                while let accepted = acceptOne() {
                    connections.add(descriptor: accepted.descriptor, endpoint: accepted.connection, bufferCapacity: Self.bufferCapacity)
                }
                connections.rearmListener()
            }
            let now = clock.now()
            if now &- lastTimerCheck > 100_000_000 {
                lastTimerCheck = now
                for stream in connections.streams { stream.endpoint.checkTimers() }
            }
            connections.closeDoneStreams()
        }
        for stream in connections.streams { connections.close(stream) }
    }

    /// One group: an epoll instance with the listener and the connections it accepted.
    private func serveEpollGroup() {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        defer { Glibc.close(epoll) }
        var streams: [Int32: SocketStream] = [:]
        register(epoll, listener, events: UInt32(EPOLLIN.rawValue) | UInt32(EPOLLEXCLUSIVE.rawValue), operation: EPOLL_CTL_ADD)
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        var lastTimerCheck: UInt64 = 0
        let clock = MonotonicTimeSource()
        while !stopping.load(ordering: .relaxed) {
            let ready = epoll_wait(epoll, events, Int32(capacity), 20)
            for index in 0..<max(0, Int(ready)) {
                let descriptor = events[index].data.fd
                if descriptor == listener {
                    acceptWaiting(epoll, into: &streams)
                } else if let stream = streams[descriptor] {
                    serve(stream, epoll: epoll, streams: &streams)
                }
            }
            let now = clock.now()
            if now &- lastTimerCheck > 100_000_000 {
                lastTimerCheck = now
                for stream in Array(streams.values) {
                    stream.endpoint.checkTimers()
                    serve(stream, epoll: epoll, streams: &streams)
                }
            }
        }
        for stream in streams.values { stream.close() }
    }

    private func acceptWaiting(_ epoll: Int32, into streams: inout [Int32: SocketStream]) {
        while let accepted = acceptOne() {
            let descriptor = accepted.descriptor
            streams[descriptor] = SocketStream(descriptor: descriptor, endpoint: accepted.connection, bufferCapacity: Self.bufferCapacity,
                                               zeroCopy: options.zeroCopySends ? zeroCopy : nil, zeroCopyThreshold: options.zeroCopyThreshold)
            register(epoll, descriptor, events: UInt32(EPOLLIN.rawValue), operation: EPOLL_CTL_ADD)
        }
    }

    /// A waiting connection (TCP_NODELAY) and its `TargetConnection`, or nil when none waits.
    private func acceptOne() -> (descriptor: Int32, connection: TargetConnection)? {
        let descriptor = flexshim_accept_nonblocking(listener)
        guard descriptor >= 0 else { return nil }
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        let connection = TargetConnection(target: target, localAddress: SocketSetup.localAddress(descriptor), localPort: port,
                                          bufferCapacity: Self.bufferCapacity)
        return (descriptor, connection)
    }

    /// Services one connection; closes it when over, else watches for writability only while bytes wait.
    private func serve(_ stream: SocketStream, epoll: Int32, streams: inout [Int32: SocketStream]) {
        guard stream.service() else {
            streams[stream.descriptor] = nil
            stream.close()
            return
        }
        guard stream.wantsToSend != stream.watchesSendSpace else { return }
        stream.watchesSendSpace = stream.wantsToSend
        let interest = UInt32(EPOLLIN.rawValue) | (stream.wantsToSend ? UInt32(EPOLLOUT.rawValue) : 0)
        register(epoll, stream.descriptor, events: interest, operation: EPOLL_CTL_MOD)
    }

    private func register(_ epoll: Int32, _ descriptor: Int32, events: UInt32, operation: Int32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        epoll_ctl(epoll, operation, descriptor, &event)
    }
}
