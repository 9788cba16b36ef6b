#if canImport(Glibc)
import Glibc
#endif

/// The host on the Linux kernel's sockets: one non-blocking socket per queue (`SocketStream`:
/// batched receives, large read data received straight into the caller's buffer), all waited on
/// with one poll(2).
public final class LinuxHostTransport: HostTransport {
    public let address: String
    public let port: UInt16
    private var streams: [SocketStream] = []

    /// Connections to `address`:`port`.
    public init(address: String, port: UInt16) {
        self.address = address
        self.port = port
    }

    deinit { for stream in streams { stream.close() } }

    public func open(_ queue: HostQueue) throws(HostError) {
        let descriptor = try SocketSetup.connect(to: address, port: port)
        streams.append(SocketStream(descriptor: descriptor, endpoint: queue, bufferCapacity: 256 * 1024))
    }

    public func pump(timeoutMilliseconds: Int32) throws(HostError) {
        serviceAll()
        var watched = streams.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN) | ($0.wantsToSend ? Int16(POLLOUT) : 0), revents: 0) }
        guard !watched.isEmpty else { return }
        if poll(&watched, nfds_t(watched.count), timeoutMilliseconds) > 0 { serviceAll() }
    }

    public func close(_ queue: HostQueue) {
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
