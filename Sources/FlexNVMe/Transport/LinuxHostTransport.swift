#if canImport(Glibc)
import Glibc
#endif

/// The host on the Linux kernel's sockets: one socket per queue. With the epoll engine, non-blocking
/// sockets (`SocketStream`: batched receives, large read data received straight into the caller's
/// buffer, MSG_ZEROCOPY sends if asked) all waited on with one poll(2); with the io_uring engine, one
/// ring (`URingConnections`, made at the first `open` on the host's thread) whose single
/// `io_uring_enter` per `pump` submits every queue's receive and send.
public final class LinuxHostTransport: HostTransport {
    public let address: String
    public let port: UInt16
    public let options: SocketTransportOptions
    /// What the zero-copy sends came to (all zero unless `options.zeroCopySends`).
    public let zeroCopy = ZeroCopyCounters()
    private var streams: [SocketStream] = []
    private var uring: URingConnections?

    /// Connections to `address`:`port`.
    public init(address: String, port: UInt16, options: SocketTransportOptions = SocketTransportOptions()) {
        self.address = address
        self.port = port
        self.options = options
    }

    deinit { for stream in streams { stream.close() } }

    public func open(_ queue: HostQueue) throws(HostError) {
        let descriptor = try SocketSetup.connect(to: address, port: port)
        switch options.engine {
        case .epoll:
            streams.append(SocketStream(descriptor: descriptor, endpoint: queue, bufferCapacity: 256 * 1024,
                                        zeroCopy: options.zeroCopySends ? zeroCopy : nil, zeroCopyThreshold: options.zeroCopyThreshold))
        case .uring:
            do {
                if uring == nil { uring = try URingConnections() }
            } catch {
                Glibc.close(descriptor)
                throw error
            }
            uring!.add(descriptor: descriptor, endpoint: queue, bufferCapacity: 256 * 1024)
        }
    }

    public func pump(timeoutMilliseconds: Int32) throws(HostError) {
        if let uring {
            try uring.cycle(timeoutNanoseconds: Int64(timeoutMilliseconds) * 1_000_000)
            uring.closeDoneStreams()
            return
        }
        serviceAll()
        var watched = streams.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN) | ($0.wantsToSend ? Int16(POLLOUT) : 0), revents: 0) }
        guard !watched.isEmpty else { return }
        if poll(&watched, nfds_t(watched.count), timeoutMilliseconds) > 0 { serviceAll() }
    }

    public func close(_ queue: HostQueue) {
        if let uring {
            if let stream = uring.streams.first(where: { $0.endpoint === queue }) { uring.close(stream) }
            return
        }
        guard let index = streams.firstIndex(where: { $0.endpoint === queue }) else { return }
        streams.remove(at: index).close()
    }

    private func serviceAll() {
        for stream in streams where !stream.service() {
            stream.close()
        }
        streams.removeAll { $0.isOver }
    }
}
