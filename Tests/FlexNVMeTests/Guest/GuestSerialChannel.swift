import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test's end of the guest's command port (QEMU's second serial port on a Unix socket): sends
/// a command line, then collects output up to the guest's "@@RC <status>" line.
///
/// Contract: one command at a time; `connect` retries until QEMU has created the socket.
final class GuestSerialChannel {
    private let descriptor: Int32
    private var received: [UInt8] = []

    /// Connects to the socket at `path`, waiting up to `timeout` for it to appear.
    init(path: String, timeout: Duration) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw GuestError.guest("socket(AF_UNIX): errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if connected == 0 { break }
            guard ContinuousClock.now < deadline else {
                Glibc.close(descriptor)
                throw GuestError.guest("QEMU's serial socket \(path) did not appear")
            }
            usleep(20_000)
        }
    }

    deinit { Glibc.close(descriptor) }

    /// Reads until a line starting with `marker` arrived; returns everything before it and the line's rest.
    func read(upTo marker: String, timeout: Duration) throws -> (output: String, rest: String) {
        let deadline = ContinuousClock.now + timeout
        let markerBytes = Array(marker.utf8)
        while true {
            if let start = received.firstRange(of: markerBytes)?.lowerBound,
               let end = received[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let output = String(decoding: received[..<start], as: UTF8.self)
                let rest = String(decoding: received[(start + markerBytes.count)..<end], as: UTF8.self)
                received.removeSubrange(..<(end + 1))
                return (output, rest)
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw GuestError.guest("no \(marker) within \(timeout); so far: \(String(decoding: received.suffix(2000), as: UTF8.self))")
            }
            var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(1000, max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            guard poll(&watched, 1, milliseconds) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw GuestError.guest("the serial port closed (QEMU exited?)") }
            received += chunk[0..<count]
        }
    }

    /// Sends `line` and a newline.
    func send(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw GuestError.guest("cannot write to the serial port: errno \(errno)") }
            sent += count
        }
    }
}
