import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// FlexKVS on Linux sockets: `threads` event loops, each with its own listening socket on the
/// same address and port (SO_REUSEPORT: the kernel spreads connections over them), its own epoll
/// instance and its connections, all sharing one `CacheServer`; with `udpPort`, each loop also
/// serves memcached's UDP protocol on a socket of its own on that port.
///
/// Contract: `init` binds and listens (throws `TransportError` if it cannot), `start` runs the
/// loops on their threads, `stop` ends them, closes every socket and joins the threads. A
/// connection whose client does not read its replies is not read either while they wait
/// (`ProtocolSession.isPaused`).
public final class LinuxServer: @unchecked Sendable {
    public let server: CacheServer
    /// The bound TCP port (the one asked for, or the kernel's choice for 0).
    public let port: UInt16
    /// The bound UDP port (nil: no UDP).
    public let udpPort: UInt16?
    private let loops: [LinuxEventLoop]
    private let threads = WorkerThreads()

    public init(server: CacheServer, address: String = "0.0.0.0", port: UInt16, udpPort: UInt16? = nil, threads: Int) throws(TransportError) {
        self.server = server
        var sockets: [(listener: Int32, datagrams: Int32?)] = []
        var boundPort = port
        var boundUDPPort = udpPort
        do {
            for _ in 0..<max(1, threads) {
                let (listener, actual) = try Self.bind(stream: true, address: address, port: boundPort)
                sockets.append((listener, nil))
                boundPort = actual
                if let wanted = boundUDPPort {
                    let (datagrams, actualUDP) = try Self.bind(stream: false, address: address, port: wanted)
                    sockets[sockets.count - 1].datagrams = datagrams
                    boundUDPPort = actualUDP
                }
            }
            self.port = boundPort
            self.udpPort = boundUDPPort
            loops = try sockets.map { pair throws(TransportError) in
                try LinuxEventLoop(server: server, listener: pair.listener,
                                   datagrams: pair.datagrams.map { LinuxUDPEndpoint(descriptor: $0, server: server) })
            }
        } catch {
            for pair in sockets {
                close(pair.listener)
                if let datagrams = pair.datagrams { close(datagrams) }
            }
            throw error
        }
    }

    /// Runs each event loop on a thread of its own.
    public func start() {
        for (index, loop) in loops.enumerated() {
            threads.start(name: "flexkvs-\(index)") { loop.run() }
        }
    }

    /// Stops the loops, closes every socket and joins the threads.
    public func stop() {
        for loop in loops { loop.requestStop() }
        threads.join()
    }

    /// A non-blocking socket bound to `address:port` with SO_REUSEADDR and SO_REUSEPORT: a
    /// listening TCP socket (`stream`), or a UDP socket; returns it and its port.
    private static func bind(stream: Bool, address: String, port: UInt16) throws(TransportError) -> (Int32, UInt16) {
        let type = stream ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let descriptor = socket(AF_INET, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TransportError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else {
            close(descriptor)
            throw TransportError("not an IPv4 address: \(address)")
        }
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, !stream || listen(descriptor, 1024) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw TransportError("cannot \(stream ? "listen on TCP" : "bind UDP") \(address):\(port): \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return (descriptor, UInt16(bigEndian: socketAddress.sin_port))
    }
}
