import CFlexShim
import FlexPort
#if canImport(Glibc)
import Glibc
#endif

/// One thread's io_uring and the kernel-socket connections it serves (`URingStream`), optionally
/// with a listening socket it watches: each `cycle` queues every connection's next receive and
/// send, submits them all with one `io_uring_enter` that also waits for a completion, and settles
/// what completed.
///
/// Contract: one thread creates and uses an instance (the ring is single-issuer). Sockets added are
/// made blocking (the kernel parks an operation that would wait, instead of completing it with
/// EAGAIN). `close` shuts a connection down and waits (up to a second) until none of its operations
/// is in flight before it closes the descriptor and tells the endpoint, so no receive lands in a
/// buffer afterwards; a connection whose operations never finish is never freed.
final class URingConnections {
    private let ring: OpaquePointer
    private var slots: [URingStream?] = []
    private var freeSlots: [Int] = []
    /// Streams whose operations did not finish when closed: kept so that their buffers stay valid.
    private var abandoned: [URingStream] = []
    private var listener: Int32 = -1
    /// The listener's poll completed: connections wait to be accepted.
    private(set) var listenerIsReady = false
    private let clock = MonotonicTimeSource()
    private static let listenerTag = UInt64.max
    private static let sendFlag: UInt64 = 1

    /// A ring with room for `entries` submissions (two per connection in flight, plus the listener's poll).
    init(entries: UInt32 = 256) throws(HostError) {
        guard let ring = flexshim_uring_open(entries) else { throw .connection(SocketSetup.failure("io_uring_setup")) }
        self.ring = ring
    }

    deinit {
        for case let stream? in slots { close(stream) }
        flexshim_uring_close(ring)
    }

    /// Every connection in service.
    var streams: [URingStream] { slots.compactMap { $0 } }

    /// Closes every connection that is done (`URingStream.isDone`).
    func closeDoneStreams() {
        for case let stream? in slots where stream.isDone { close(stream) }
    }

    /// Serves `descriptor` (a connected socket) for `endpoint`.
    @discardableResult
    func add(descriptor: Int32, endpoint: any StreamEndpoint, bufferCapacity: Int) -> URingStream {
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        let slot = freeSlots.popLast() ?? { slots.append(nil); return slots.count - 1 }()
        let stream = URingStream(descriptor: descriptor, endpoint: endpoint, slot: slot, bufferCapacity: bufferCapacity)
        slots[slot] = stream
        return stream
    }

    /// Watches `descriptor` (a listening socket) for connections: `listenerIsReady` after a cycle says
    /// some wait; accept them, then call `rearmListener`.
    func watch(listener descriptor: Int32) {
        listener = descriptor
        rearmListener()
    }

    func rearmListener() {
        // Not queued (cannot happen with a ring this size): the listener is looked at after every cycle instead.
        listenerIsReady = flexshim_uring_queue_operation(ring, flexshim_uring_op_poll_add, listener, 0, 0, UInt32(POLLIN),
                                                         Self.listenerTag) != 0
    }

    /// Queues every connection's next operations, submits them, waits up to `timeoutNanoseconds` for a
    /// completion, and settles what completed. Throws when the kernel refuses the ring.
    func cycle(timeoutNanoseconds: Int64) throws(HostError) {
        for case let stream? in slots { queue(stream) }
        let entered = flexshim_uring_submit_and_wait(ring, 1, max(1, timeoutNanoseconds))
        guard entered == 0 else { throw .connection(SocketSetup.failure("io_uring_enter", code: -entered)) }
        settle()
    }

    /// Shuts `stream`'s socket down, waits until its operations finished, closes it and tells its endpoint.
    func close(_ stream: URingStream) {
        guard slots.indices.contains(stream.slot), slots[stream.slot] === stream else { return }
        stream.isClosing = true
        shutdown(stream.descriptor, Int32(SHUT_RDWR))
        let deadline = clock.now() &+ 1_000_000_000
        while !stream.isIdle && clock.now() < deadline {
            _ = flexshim_uring_submit_and_wait(ring, 1, 10_000_000)
            settle()
        }
        slots[stream.slot] = nil
        if stream.isIdle {
            freeSlots.append(stream.slot)
            Glibc.close(stream.descriptor)
        } else {
            abandoned.append(stream)
        }
        stream.endpoint.close()
    }

    private func queue(_ stream: URingStream) {
        let tag = UInt64(stream.slot) << 1
        if let space = stream.nextReceive() {
            let length = UInt32(min(space.count, Int(Int32.max)))
            if flexshim_uring_queue_recv(ring, stream.descriptor, space.baseAddress, length, tag) != 0 { stream.received(-EIO) }
        }
        if let bytes = stream.nextSend() {
            let length = UInt32(min(bytes.count, Int(Int32.max)))
            let flags = UInt32(MSG_NOSIGNAL | MSG_WAITALL)
            if flexshim_uring_queue_operation(ring, flexshim_uring_op_send, stream.descriptor, UInt64(UInt(bitPattern: bytes.baseAddress)),
                                              length, flags, tag | Self.sendFlag) != 0 {
                stream.sent(-EIO)
            }
        }
    }

    /// Hands every completion to its stream (or notes the listener's).
    private func settle() {
        var tag: UInt64 = 0
        var result: Int32 = 0
        while flexshim_uring_next_completion(ring, &tag, &result) == 1 {
            if tag == Self.listenerTag {
                listenerIsReady = true
                continue
            }
            let slot = Int(tag >> 1)
            guard let stream = slots.indices.contains(slot) ? slots[slot] : nil else { continue }
            if tag & Self.sendFlag != 0 { stream.sent(result) } else { stream.received(result) }
        }
    }
}
