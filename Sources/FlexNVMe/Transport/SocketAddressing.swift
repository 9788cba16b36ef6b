#if canImport(Glibc)
import Glibc
#endif

/// The socket calls the kernel-socket transport makes once per connection: listening, connecting,
/// addresses in dotted-quad form, errors in words.
enum SocketSetup {
    /// "call failed: reason (errno N)".
    static func failure(_ call: String, code: Int32 = errno) -> String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }

    /// A dotted-quad IPv4 address and port as a socket address; nil if `text` is not one.
    static func address(_ text: String, port: UInt16) -> sockaddr_in? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, text, &address.sin_addr) == 1 else { return nil }
        return address
    }

    /// The dotted quad of `address`.
    static func text(_ address: sockaddr_in) -> String {
        withUnsafeBytes(of: address.sin_addr.s_addr) { $0.map(String.init).joined(separator: ".") }
    }

    /// A non-blocking TCP socket with TCP_NODELAY.
    static func streamSocket() throws(HostError) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .connection(failure("socket")) }
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return descriptor
    }

    /// A listening socket on every address at `port` (SO_REUSEADDR).
    static func listen(port: UInt16) throws(HostError) -> Int32 {
        let descriptor = try streamSocket()
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address("0.0.0.0", port: port)!
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, SOMAXCONN) == 0 else {
            let message = failure("bind/listen on port \(port)")
            close(descriptor)
            throw .connection(message)
        }
        return descriptor
    }

    /// A socket connected to `address`:`port`, waiting up to `timeoutMilliseconds`.
    static func connect(to address: String, port: UInt16, timeoutMilliseconds: Int32 = 5000) throws(HostError) -> Int32 {
        guard var remote = Self.address(address, port: port) else { throw .invalidRequest("\(address) is not an IPv4 address") }
        let descriptor = try streamSocket()
        let started = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if started != 0 && errno != EINPROGRESS {
            let message = failure("connect to \(address):\(port)")
            close(descriptor)
            throw .connection(message)
        }
        var waiting = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if poll(&waiting, 1, timeoutMilliseconds) != 1 { code = ETIMEDOUT } else { getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) }
        guard code == 0 else {
            close(descriptor)
            throw .connection(failure("connect to \(address):\(port)", code: code))
        }
        return descriptor
    }

    /// The local address of a connected socket, dotted quad.
    static func localAddress(_ descriptor: Int32) -> String { text(localSocketAddress(descriptor)) }

    /// The local port of a socket.
    static func localPort(_ descriptor: Int32) -> UInt16 { UInt16(bigEndian: localSocketAddress(descriptor).sin_port) }

    private static func localSocketAddress(_ descriptor: Int32) -> sockaddr_in {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return address
    }
}
