#if canImport(Glibc)
import Glibc
#endif

/// One kernel socket driving a `StreamEndpoint` through an io_uring (`URingConnections`): at most one
/// receive and one send in flight. Receives go into a per-connection buffer (many PDUs per receive),
/// or, when the buffer is empty and the endpoint's next data is at least `SocketStream.cutOver` bytes,
/// straight into its destination; a send is of the outbound buffer's pending bytes themselves, held
/// there until the send completes (no copy).
///
/// Contract: `URingConnections` queues (`nextReceive`, `nextSend`) and settles (`received`, `sent`)
/// the operations; the stream is done once the connection is over (peer closed, error) or the
/// endpoint finished with nothing left to send; it may be freed only when `isIdle`.
final class URingStream {
    let descriptor: Int32
    let endpoint: any StreamEndpoint
    let slot: Int
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private(set) var isReceiving = false
    private var receivesDirectly = false
    private(set) var sendingBytes = 0
    private(set) var isOver = false
    /// Set once the owner shut the socket down; nothing more is queued.
    var isClosing = false

    init(descriptor: Int32, endpoint: any StreamEndpoint, slot: Int, bufferCapacity: Int) {
        self.descriptor = descriptor
        self.endpoint = endpoint
        self.slot = slot
        buffer = .allocate(byteCount: bufferCapacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    var isIdle: Bool { !isReceiving && sendingBytes == 0 }
    var isDone: Bool { isOver || endpoint.isFinished && endpoint.outbound.isEmpty && sendingBytes == 0 }

    /// Where the next receive should land, or nil if none should be queued now.
    func nextReceive() -> UnsafeMutableRawBufferPointer? {
        guard !isReceiving, !isOver, !isClosing, !endpoint.isFinished else { return nil }
        let target: UnsafeMutableRawBufferPointer
        if start == end, let destination = endpoint.directDestination(minimum: SocketStream.cutOver) {
            receivesDirectly = true
            target = destination
        } else {
            receivesDirectly = false
            if end == buffer.count {
                guard start > 0 else { return nil }  // full of one PDU the endpoint waits to complete: cannot happen within capacity
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
                end -= start
                start = 0
            }
            target = UnsafeMutableRawBufferPointer(rebasing: buffer[end...])
        }
        isReceiving = true
        return target
    }

    /// The bytes the next send should carry (now held in the outbound buffer), or nil.
    func nextSend() -> UnsafeRawBufferPointer? {
        let outbound = endpoint.outbound
        guard sendingBytes == 0, !isOver, !isClosing, !outbound.isEmpty else { return nil }
        let pending = outbound.pending
        outbound.hold(pending.count)
        sendingBytes = pending.count
        return pending
    }

    /// A receive completed with `result` (bytes, 0 at end of stream, or -errno).
    func received(_ result: Int32) {
        isReceiving = false
        guard result > 0, !isClosing else {
            if result <= 0 && result != -EAGAIN && result != -EINTR { isOver = true }
            return
        }
        if receivesDirectly {
            endpoint.didPlaceDirectly(Int(result))
            return
        }
        end += Int(result)
        var input = InputBytes(UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
        endpoint.receive(&input)
        start += input.consumed
        if start == end { start = 0; end = 0 }
    }

    /// A send completed with `result` (bytes sent, or -errno): those bytes are released, the rest is pending again.
    func sent(_ result: Int32) {
        let requested = sendingBytes
        sendingBytes = 0
        let sent = max(0, Int(result))
        endpoint.outbound.release(sent)
        endpoint.outbound.unhold(requested - sent)
        if result < 0 && result != -EAGAIN && result != -EINTR { isOver = true }
    }
}
