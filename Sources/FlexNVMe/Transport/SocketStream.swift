#if canImport(Glibc)
import Glibc
#endif

/// One non-blocking kernel socket driving a `StreamEndpoint`, the way SPDK's storage developers
/// recommend: receives batched into a per-connection buffer (many PDUs per recv), and data of at
/// least `cutOver` bytes received straight into its destination (the namespace, the reader's
/// buffer) instead of through the buffer.
///
/// Contract: `service` reads until the socket is empty and sends what is pending; it returns false
/// once the connection is over (peer closed, error, or the endpoint finished and everything
/// pending was sent). The owner then closes the descriptor with `close`.
final class SocketStream {
    let descriptor: Int32
    let endpoint: any StreamEndpoint
    /// Bytes above which data is received straight into its destination.
    static let cutOver = 8192
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private(set) var isOver = false
    /// Whether the owner's poller watches this socket for send space (EPOLLOUT).
    var watchesSendSpace = false

    init(descriptor: Int32, endpoint: any StreamEndpoint, bufferCapacity: Int) {
        self.descriptor = descriptor
        self.endpoint = endpoint
        buffer = .allocate(byteCount: bufferCapacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Whether the endpoint has bytes to send (the socket's writability matters).
    var wantsToSend: Bool { !endpoint.outbound.isEmpty }

    /// Receives and sends what it can without blocking; false once the connection is over.
    @discardableResult
    func service() -> Bool {
        if !isOver { receiveAvailable() }
        if !isOver { sendPending() }
        if endpoint.isFinished && endpoint.outbound.isEmpty { isOver = true }
        return !isOver
    }

    /// Closes the socket and tells the endpoint.
    func close() {
        Glibc.close(descriptor)
        endpoint.close()
    }

    private func receiveAvailable() {
        while !endpoint.isFinished {
            if start == end, let destination = endpoint.directDestination(minimum: Self.cutOver) {
                let received = recv(descriptor, destination.baseAddress, destination.count, Int32(MSG_DONTWAIT))
                guard settle(received) else { return }
                endpoint.didPlaceDirectly(received)
                continue
            }
            if end == buffer.count {
                guard start > 0 else { return }  // full of one PDU the endpoint waits to complete: cannot happen within capacity
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
                end -= start
                start = 0
            }
            let received = recv(descriptor, buffer.baseAddress! + end, buffer.count - end, Int32(MSG_DONTWAIT))
            guard settle(received) else { return }
            end += received
            var input = InputBytes(UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
            endpoint.receive(&input)
            start += input.consumed
            if start == end { start = 0; end = 0 }
        }
    }

    /// True if `received` bytes arrived; on end of stream or an error other than EAGAIN the connection is over.
    private func settle(_ received: Int) -> Bool {
        if received > 0 { return true }
        if received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return false }
        isOver = true
        return false
    }

    private func sendPending() {
        let outbound = endpoint.outbound
        while !outbound.isEmpty {
            let pending = outbound.pending
            let sent = send(descriptor, pending.baseAddress, pending.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            if sent > 0 {
                outbound.consume(sent)
            } else {
                if sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { isOver = true }
                return
            }
        }
    }
}
