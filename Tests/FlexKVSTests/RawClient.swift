#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client on loopback for the conformance tests: sends bytes, reads until a
/// terminator or the end of the stream (5-second receive timeout, so a silent server fails the
/// test instead of hanging it).
final class RawClient {
    private let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to 127.0.0.1:`port`, retrying for up to `patience` while the server starts.
    init(port: UInt16, patience: Duration = .seconds(5)) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        while true {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if connected == 0 {
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                self.descriptor = descriptor
                return
            }
            close(descriptor)
            guard clock.now < deadline else { throw Failure(description: "cannot connect to 127.0.0.1:\(port)") }
            try? Task.checkCancellation()
            usleep(20_000)
        }
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Reads until the bytes received end with `terminator`; returns them without it.
    func read(until terminator: [UInt8]) throws -> [UInt8] {
        var received: [UInt8] = []
        while !(received.count >= terminator.count && Array(received.suffix(terminator.count)) == terminator) {
            let chunk = try readSome()
            guard !chunk.isEmpty else { throw Failure(description: "closed before the terminator; got \(String(decoding: received, as: UTF8.self).prefix(200))") }
            received += chunk
        }
        return Array(received.dropLast(terminator.count))
    }

    /// Reads until the peer closes; returns everything.
    func readToEnd() throws -> [UInt8] {
        var received: [UInt8] = []
        while true {
            let chunk = try readSome()
            if chunk.isEmpty { return received }
            received += chunk
        }
    }

    /// Reads until `isComplete` accepts the bytes received so far, or the peer closes (then `closed` is true).
    func read(until isComplete: ([UInt8]) -> Bool) throws -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        while !isComplete(received) {
            let chunk = try readSome()
            if chunk.isEmpty { return (received, true) }
            received += chunk
        }
        return (received, false)
    }

    private func readSome() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw Failure(description: "receive failed: \(String(cString: strerror(errno)))") }
        return Array(buffer[0..<count])
    }
}

/// A TCP port on loopback that was free a moment ago (for a server process the test starts).
func freeLoopbackPort() -> UInt16 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, length) == 0 ? getsockname(descriptor, pointer, &length) : -1
        }
    }
    return UInt16(bigEndian: address.sin_port)
}
