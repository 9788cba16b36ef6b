import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 address and TCP port, as the Linux baseline's sockets bind to and connect to them.
struct IPv4Endpoint: Sendable, Equatable, CustomStringConvertible {
    /// The address in network byte order.
    let address: in_addr_t
    let port: UInt16

    /// `text` is a dotted quad such as "127.0.0.1"; nil if it is not one.
    init?(_ text: String, port: UInt16 = 0) {
        var parsed = in_addr()
        guard inet_pton(AF_INET, text, &parsed) == 1 else { return nil }
        address = parsed.s_addr
        self.port = port
    }

    /// 127.0.0.1, any port: where the loopback baselines listen.
    static let loopback = IPv4Endpoint(address: in_addr_t(0x7F00_0001).bigEndian, port: 0)

    init(address: in_addr_t, port: UInt16) {
        self.address = address
        self.port = port
    }

    init(_ socketAddress: sockaddr_in) {
        address = socketAddress.sin_addr.s_addr
        port = UInt16(bigEndian: socketAddress.sin_port)
    }

    var socketAddress: sockaddr_in {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr.s_addr = address
        return socketAddress
    }

    var description: String {
        let bytes = withUnsafeBytes(of: address) { Array($0) }
        return bytes.map(String.init).joined(separator: ".") + ":\(port)"
    }
}

/// The socket calls of the Linux baseline that are not per message: making listeners and client
/// sockets, socket options, errors in words.
///
/// Contract: every function that makes a descriptor returns it non-blocking and close-on-exec, or
/// throws a `BenchmarkFailure` naming the call and the kernel's reason.
enum LinuxSocket {
    /// A listening TCP socket on `endpoint` (port 0: the kernel picks a free one) with
    /// SO_REUSEADDR and TCP_NODELAY (which accepted sockets inherit); returns it with the address
    /// it is bound to.
    static func listen(on endpoint: IPv4Endpoint) throws(BenchmarkFailure) -> (descriptor: Int32, bound: IPv4Endpoint) {
        let descriptor = try makeStreamSocket()
        do throws(BenchmarkFailure) {
            try setOption(descriptor, level: SOL_SOCKET, name: SO_REUSEADDR, "SO_REUSEADDR")
            var address = endpoint.socketAddress
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw failure("bind to \(endpoint)") }
            guard Glibc.listen(descriptor, SOMAXCONN) == 0 else { throw failure("listen on \(endpoint)") }
            return (descriptor, try localEndpoint(of: descriptor))
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// A new TCP socket with TCP_NODELAY, not yet connected.
    static func makeStreamSocket() throws(BenchmarkFailure) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("socket") }
        do throws(BenchmarkFailure) {
            try setOption(descriptor, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, "TCP_NODELAY")
        } catch {
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// Starts connecting `descriptor` to `endpoint`: 0 if it connected at once or is in progress,
    /// else the errno code.
    static func startConnect(_ descriptor: Int32, to endpoint: IPv4Endpoint) -> Int32 {
        var address = endpoint.socketAddress
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result == 0 { return 0 }
        let code = errno
        return code == EINPROGRESS ? 0 : code
    }

    /// The socket's pending error (SO_ERROR, which reading clears): 0 when a connect succeeded.
    static func pendingError(_ descriptor: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code
    }

    /// The address `descriptor` is bound to.
    static func localEndpoint(of descriptor: Int32) throws(BenchmarkFailure) -> IPv4Endpoint {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { throw failure("getsockname") }
        return IPv4Endpoint(address)
    }

    /// A failure naming `operation` and errno `code` in words.
    static func failure(_ operation: String, code: Int32 = errno) -> BenchmarkFailure {
        BenchmarkFailure("\(operation) failed: \(String(cString: strerror(code))) (errno \(code))")
    }

    private static func setOption(_ descriptor: Int32, level: Int32, name: Int32, _ label: String) throws(BenchmarkFailure) {
        var on: Int32 = 1
        guard setsockopt(descriptor, level, name, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else { throw failure("setsockopt(\(label))") }
    }
}
