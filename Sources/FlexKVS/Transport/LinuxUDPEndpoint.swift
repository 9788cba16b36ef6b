#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket of one event loop serving memcached's UDP protocol: each datagram is one or more
/// requests (text or binary), each request's reply is sent back framed (`UDPFraming`) to the sender.
///
/// Contract: used by its loop's thread only; `serveWaiting` reads until the socket is empty (at
/// most 256 datagrams per call, so TCP connections get their turn).
final class LinuxUDPEndpoint {
    let descriptor: Int32
    private let server: CacheServer
    private let session: ProtocolSession
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    private let sendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: UDPFraming.largestDatagram, alignment: 16)

    init(descriptor: Int32, server: CacheServer) {
        self.descriptor = descriptor
        self.server = server
        session = ProtocolSession(server: server)
    }

    deinit {
        close(descriptor)
        receiveBuffer.deallocate()
        sendBuffer.deallocate()
    }

    func serveWaiting() {
        for _ in 0..<256 {
            var sender = sockaddr_storage()
            var senderLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = withUnsafeMutablePointer(to: &sender) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, receiveBuffer.baseAddress, receiveBuffer.count, 0, $0, &senderLength)
                }
            }
            guard received >= 0 else { return }
            server.countRead(received)
            let datagram = UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<received])
            guard let requestID = UDPFraming.requestID(of: datagram) else { continue }
            answer(UnsafeRawBufferPointer(rebasing: datagram[UDPFraming.headerSize...]), requestID: requestID,
                   to: &sender, length: senderLength)
        }
    }

    /// Answers each request of the datagram with datagrams of its own, as memcached does.
    private func answer(_ requests: UnsafeRawBufferPointer, requestID: UInt16, to sender: inout sockaddr_storage, length: socklen_t) {
        session.reset()
        var used = 0
        while used < requests.count {
            let taken = session.processNext(UnsafeRawBufferPointer(rebasing: requests[used...]))
            if !session.output.isEmpty {
                UDPFraming.datagrams(of: session.output.readable, requestID: requestID, scratch: sendBuffer) { datagram in
                    let sent = withUnsafePointer(to: &sender) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(descriptor, datagram.baseAddress, datagram.count, 0, $0, length)
                        }
                    }
                    if sent > 0 { server.countWritten(sent) }
                }
                session.output.removeAll()
            }
            guard taken > 0 else { return }
            used += taken
        }
    }
}
