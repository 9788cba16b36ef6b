import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// One non-blocking kernel socket driving a `StreamEndpoint`, the way SPDK's storage developers
/// recommend: receives batched into a per-connection buffer (many PDUs per recv), and data of at
/// least `cutOver` bytes received straight into its destination (the namespace, the reader's
/// buffer) instead of through the buffer; with `zeroCopy` counters, sends of at least `zeroCopyThreshold`
/// bytes go with MSG_ZEROCOPY and their bytes stay held in the endpoint's outbound buffer until the
/// kernel's completion, read from the socket's error queue (which poll and epoll report as an error
/// condition), arrives.
///
/// Contract: `service` reads until the socket is empty, reads zero-copy completions, and sends what
/// is pending; it returns false once the connection is over (peer closed, error, or the endpoint
/// finished and everything pending was sent). The owner then closes the descriptor with `close`,
/// which first waits (up to a second) for outstanding zero-copy completions, and otherwise resets
/// the connection so that the kernel drops the data it would still read from the buffer.
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
    /// Where zero-copy sends are counted; nil: every send is copied.
    private let zeroCopy: ZeroCopyCounters?
    private let zeroCopyThreshold: Int
    private var ledger = ZeroCopyLedger()

    init(descriptor: Int32, endpoint: any StreamEndpoint, bufferCapacity: Int, zeroCopy: ZeroCopyCounters? = nil,
         zeroCopyThreshold: Int = 4096) {
        self.descriptor = descriptor
        self.endpoint = endpoint
        buffer = .allocate(byteCount: bufferCapacity, alignment: 64)
        if let zeroCopy, flexshim_zerocopy_enable(descriptor) != 0 {
            zeroCopy.countRefused()
            self.zeroCopy = nil
        } else {
            self.zeroCopy = zeroCopy
        }
        self.zeroCopyThreshold = zeroCopyThreshold
    }

    deinit { buffer.deallocate() }

    /// Whether the endpoint has bytes to send (the socket's writability matters).
    var wantsToSend: Bool { !endpoint.outbound.isEmpty }

    /// Receives and sends what it can without blocking; false once the connection is over.
    @discardableResult
    func service() -> Bool {
        if !ledger.isEmpty { readCompletions() }
        if !isOver { receiveAvailable() }
        if !isOver { sendPending() }
        if endpoint.isFinished && endpoint.outbound.isEmpty { isOver = true }
        return !isOver
    }

    /// Closes the socket (once no zero-copy send reads the outbound buffer) and tells the endpoint.
    func close() {
        var waited = 0
        while !ledger.isEmpty && waited < 1000 {
            var errors = pollfd(fd: descriptor, events: 0, revents: 0)
            _ = poll(&errors, 1, 10)
            waited += 10
            readCompletions()
        }
        if !ledger.isEmpty {
            var reset = linger(l_onoff: 1, l_linger: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
        }
        Glibc.close(descriptor)
        endpoint.close()
    }

    /// Reads the zero-copy completions on the error queue and releases the bytes of finished sends.
    private func readCompletions() {
        var first: UInt32 = 0, last: UInt32 = 0, copied: Int32 = 0
        while true {
            let outcome = flexshim_zerocopy_next_completion(descriptor, &first, &last, &copied)
            if outcome == 0 || outcome < 0 && outcome != -EINTR { break }
            guard outcome == 1 else { continue }
            zeroCopy?.countCompleted(ledger.complete(from: first, to: last), copied: copied != 0)
        }
        endpoint.outbound.release(ledger.releasable())
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
        var copyOnly = false
        while !outbound.isEmpty {
            let pending = outbound.pending
            let zeroCopySend = zeroCopy != nil && !copyOnly && pending.count >= zeroCopyThreshold
            let flags = Int32(MSG_DONTWAIT | MSG_NOSIGNAL) | (zeroCopySend ? flexshim_msg_zerocopy : 0)
            let sent = send(descriptor, pending.baseAddress, pending.count, flags)
            if sent > 0 {
                if zeroCopySend || !ledger.isEmpty {
                    outbound.hold(sent)
                    ledger.record(bytes: sent, zeroCopy: zeroCopySend)
                    if zeroCopySend { zeroCopy?.countSend() }
                } else {
                    outbound.consume(sent)
                }
            } else if sent < 0 && errno == ENOBUFS && zeroCopySend {
                // Too many notifications outstanding (the socket's option memory, net.core.optmem_max): copy this one.
                zeroCopy?.countFallback()
                copyOnly = true
            } else {
                if sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { isOver = true }
                return
            }
        }
    }
}
