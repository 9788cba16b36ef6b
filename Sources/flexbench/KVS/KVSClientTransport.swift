#if canImport(Glibc)
import Glibc
#endif

/// What `KVSClient` needs from a transport: `connectionCount` open connections to the server, a
/// way to send bytes on one, and a way to collect what arrived.
///
/// Contract: one thread uses a transport. `send` queues all of `bytes` (in order) or throws;
/// `poll` hands each connection's newly received bytes to `body` (possibly in pieces, in order)
/// and returns, waiting at most about `timeoutMilliseconds` when nothing arrived; it throws when
/// the server closed a connection.
protocol KVSClientTransport: AnyObject {
    var connectionCount: Int { get }
    func send(_ bytes: [UInt8], on connection: Int) throws(KVSBenchmarkError)
    func poll(timeoutMilliseconds: Int32, _ body: (Int, UnsafeRawBufferPointer) -> Void) throws(KVSBenchmarkError)
}

/// `KVSClientTransport` on Linux TCP sockets (TCP_NODELAY, `poll`).
final class LinuxClientTransport: KVSClientTransport {
    private var sockets: [Int32] = []
    private var polls: [pollfd] = []
    private var buffer = [UInt8](repeating: 0, count: 65536)

    /// Opens `count` connections to `address`:`port` (host byte order), retrying for about 5 s.
    init(address: UInt32, port: UInt16, count: Int) throws(KVSBenchmarkError) {
        for _ in 0..<count { sockets.append(try Self.connect(address: address, port: port)) }
        polls = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    }

    deinit { for socket in sockets { close(socket) } }

    var connectionCount: Int { sockets.count }

    func send(_ bytes: [UInt8], on connection: Int) throws(KVSBenchmarkError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(sockets[connection], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw KVSBenchmarkError("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    func poll(timeoutMilliseconds: Int32, _ body: (Int, UnsafeRawBufferPointer) -> Void) throws(KVSBenchmarkError) {
        guard Glibc.poll(&polls, nfds_t(polls.count), timeoutMilliseconds) >= 0 else {
            throw KVSBenchmarkError("poll: \(String(cString: strerror(errno)))")
        }
        for index in polls.indices where polls[index].revents != 0 {
            let count = buffer.withUnsafeMutableBytes { recv(sockets[index], $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw KVSBenchmarkError("the server closed a connection") }
            buffer.withUnsafeBytes { body(index, UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// A TCP_NODELAY connection to `host`:`port`, tried `attempts` times 10 ms apart (about 5 s by default).
    static func connect(address host: UInt32, port: UInt16, attempts: Int = 500) throws(KVSBenchmarkError) -> Int32 {
        for _ in 0..<attempts {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = host.bigEndian
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if result == 0 {
                var one: Int32 = 1
                setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return descriptor
            }
            close(descriptor)
            usleep(10_000)
        }
        throw KVSBenchmarkError("cannot connect to \(host >> 24).\((host >> 16) & 255).\((host >> 8) & 255).\(host & 255):\(port)")
    }
}
