import CFlexShim
import FlexPort
import FlexTCPCore
import FlexWire
import Logging
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// Where flextcpd serves its metrics: a UNIX stream socket or a loopback TCP port.
public enum MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(address: IPv4Address, port: UInt16)

    /// Reads "unix:PATH" or "A.B.C.D:PORT" (a loopback address, 127.0.0.0/8); nil for anything else.
    public init?(_ text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty, path.utf8.count < 108 else { return nil }
            self = .unix(path: path)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), address.value >> 24 == 127,
              let port = UInt16(parts[1]), port != 0 else { return nil }
        self = .tcp(address: address, port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let address, let port): "\(address):\(port)"
        }
    }

    /// A connected stream socket to the endpoint, or -1 with errno set.
    public func connect() -> Int32 {
        switch self {
        case .unix(let path): flexshim_unix_stream_connect(path)
        case .tcp(let address, let port): flexshim_tcp_connect(address.value, port)
        }
    }
}

/// flextcpd's metrics endpoint: answers every HTTP GET on its socket with the registry's metrics
/// in the Prometheus text format (version 0.0.4), one connection at a time, on a thread of its own.
///
/// Contract: `start` runs the thread; `stop` ends and joins it, closes the socket and removes a
/// UNIX socket's file. A client has 1 s in all to send its request and take the answer, so a
/// stalled or trickling client delays the others by at most that.
final class MetricsEndpoint: @unchecked Sendable {
    // Sendable: the fields never change after init except `thread` (start/stop, one thread).
    let address: MetricsAddress
    private let serving: ListenerThread
    private let registry: PrometheusCollectorRegistry

    init(address: MetricsAddress, registry: PrometheusCollectorRegistry) throws(SharedMemoryError) {
        let listener = switch address {
        case .unix(let path): flexshim_unix_stream_listen(path, 16)
        case .tcp(let host, let port): flexshim_tcp_listen(host.value, port, 16)
        }
        guard listener >= 0 else { throw SharedMemoryError(operation: "listening for metrics at \(address)", code: errno) }
        self.address = address
        serving = try ListenerThread(listener: listener)
        self.registry = registry
    }

    func start() throws(SharedMemoryError) { try serving.start { [self] in serve() } }

    func stop() {
        serving.stop()
        if case .unix(let path) = address { unlink(path) }
    }

    private func serve() {
        while true {
            var descriptors = [pollfd(fd: serving.stopping.fileDescriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: serving.listener, events: Int16(POLLIN), revents: 0)]
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { return }
            if descriptors[0].revents != 0 { return }
            guard descriptors[1].revents != 0 else { continue }
            let connection = flexshim_accept_cloexec(serving.listener)
            guard connection >= 0 else {
                // Out of descriptors: rest briefly rather than spin on the listener.
                if errno == EMFILE || errno == ENFILE { usleep(100_000) }
                continue
            }
            answer(connection)
            Glibc.close(connection)
        }
    }

    /// Reads one request (up to its blank line) and answers it, all within `clientAllowanceNanoseconds`
    /// of the accept (a client trickling its request does not hold the thread longer).
    private func answer(_ connection: Int32) {
        let clock = MonotonicTimeSource()
        let deadline = clock.now() &+ Self.clientAllowanceNanoseconds
        /// Waits until `connection` is ready for `events`; false once the deadline has passed.
        func ready(_ events: Int32) -> Bool {
            let now = clock.now()
            guard now < deadline else { return false }
            var descriptor = pollfd(fd: connection, events: Int16(events), revents: 0)
            let polled = poll(&descriptor, 1, Int32((deadline - now) / 1_000_000 + 1))
            return polled > 0 || (polled < 0 && errno == EINTR)
        }
        func retries(_ result: Int) -> Bool { result < 0 && (errno == EAGAIN || errno == EINTR) }
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while request.count < 16_384, !request.ends(with: Self.blankLine), ready(POLLIN) {
            let received = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if retries(received) { continue }
            guard received > 0 else { break }
            request += chunk.prefix(received)
        }
        let isGet = request.starts(with: Array("GET ".utf8))
        let body = isGet ? registry.emitToBuffer() : Array("only GET is served here\n".utf8)
        let status = isGet ? "200 OK" : "405 Method Not Allowed"
        let head = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: \(body.count)\r\n"
            + "Connection: close\r\n\r\n"
        let response = Array(head.utf8) + body
        var sent = 0
        while sent < response.count, ready(POLLOUT) {
            let written = response[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if retries(written) { continue }
            guard written > 0 else { return }
            sent += written
        }
    }

    /// How long one client may take to send its request and take the answer.
    static let clientAllowanceNanoseconds: UInt64 = 1_000_000_000

    private static let blankLine = Array("\r\n\r\n".utf8)
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
