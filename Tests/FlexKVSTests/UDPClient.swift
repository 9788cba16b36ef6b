#if canImport(Glibc)
import Glibc
#endif

/// A UDP client on loopback for the UDP conformance test: sends one datagram, collects the
/// datagrams that come back until `quiet` passes without one.
final class UDPClient {
    private let descriptor: Int32
    private let port: UInt16

    init(port: UInt16, quiet: Int = 150_000) {
        self.port = port
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var timeout = timeval(tv_sec: 0, tv_usec: quiet)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Sends `datagram` and returns every datagram received until the line goes quiet.
    func exchange(_ datagram: [UInt8]) -> [[UInt8]] {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var received: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return received }
            received.append(Array(buffer[0..<count]))
        }
    }
}

/// A UDP request datagram: memcached's frame header, then the payload.
func udpRequest(_ payload: String, requestID: UInt16 = 7, sequence: UInt16 = 0, total: UInt16 = 1) -> [UInt8] {
    bigEndianBytes(requestID) + bigEndianBytes(sequence) + bigEndianBytes(total) + [0, 0] + Array(payload.utf8)
}
