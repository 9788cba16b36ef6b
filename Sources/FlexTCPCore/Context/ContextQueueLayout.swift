import FlexPort

/// The byte layout of one application context's queues: the shared-memory ABI between the
/// application library (untrusted), the fast path and the slow path. This enum *is* the ABI: every
/// party reads and writes these fields through raw pointers at these offsets, never through Swift
/// structs, and nothing here stores a pointer, so the region works in one process (embedded mode)
/// and mapped into several (service mode). All integers are little-endian; IPv4 addresses are the
/// four bytes in network order. Offsets are from the region base, which is 64-byte aligned.
///
/// ```
/// context header (128 bytes, two cache lines)
///   line 0, written once by the party that formats the region (the service), then read-only
///     0   u32  magic                  0x5143_5846 ("FXCQ")
///     4   u32  version                2
///     8   u16  context                the context's number (FlowState.context, FlowEvent.context)
///     10  u16  reserved, zero
///     12  u32  receive queue slots    fast path → application     } each a power of two,
///     16  u32  transmit queue slots   application → fast path     } 2 ... 2^20
///     20  u32  request queue slots    application → slow path     }
///     24  u32  event queue slots      slow path → application     }
///     28  ...  reserved, zero
///   line 1, "room wanted" flags, one u64 per queue, in the same order (seq-cst)
///     64  u64  receive room wanted    1: the queue's producer found it full and wants a signal
///     72  u64  transmit room wanted      when the consumer frees slots. The producer sets it,
///     80  u64  request room wanted       the consumer clears it (exchange) and signals.
///     88  u64  event room wanted
/// queues: four frame rings (FrameRingLayout), back to back in the order above, whose frames are
/// queue entries; a ring's frame capacity is its entry size, so every slot is 64 bytes:
///     128                                             receive queue   entries of 32 bytes
///     + FrameRingLayout.ringSize(receive slots, 32)   transmit queue  entries of 32 bytes
///     + FrameRingLayout.ringSize(transmit slots, 32)  request queue   entries of 48 bytes
///     + FrameRingLayout.ringSize(request slots, 48)   event queue     entries of 48 bytes
/// ```
/// Each slot's header holds the entry's length (the entry size) and zero flags and segment size.
/// The rings' statistics counters (frames, bytes, drops) are not kept for queue entries: a
/// consumer counts the slots it skips for a bad length itself. Producers publish once per batch
/// of entries (one store of the producer index), consumers read the producer index once per
/// batch and give slots back once per batch.
///
/// Wake-ups (eventfds, outside the region): the application's signal (consumer of the receive and
/// event queues; producer of the transmit and request queues), the fast path's (transmit queue) and
/// the slow path's (request queue). A consumer about to sleep uses the ring's armed flag
/// (FrameRingLayout). A producer that finds its queue full sets the queue's room-wanted flag, issues
/// a sequentially consistent fence and looks at the consumer index again before sleeping; a
/// consumer, after storing a new consumer index, issues the same fence and, if the flag is set,
/// exchanges it with 0 and signals the producer. One side always sees the other: no lost wake-up.
///
/// Entries. Byte 0 is the type, byte 1 the entry version (1). Type codes are unique across the
/// four queues (receive 0x0_, transmit 0x1_, request 0x2_, event 0x3_) so an entry written to the
/// wrong queue is rejected; 0 is never a type. Every byte not listed is reserved and must be zero.
/// A consumer rejects an entry whose length, type, version, reserved bytes or codes are wrong.
/// ```
/// receive queue (fast path → application), 32 bytes
///   0x01 received: new in-order bytes and/or acknowledged bytes on a flow (FlowEvent)
///     2  u16 context   4  u32 flow   8  u64 opaque
///     16 u32 received position     ring position (0 ..< receive ring size) of the first new byte
///     20 u32 received bytes        new bytes, contiguous from that position (wrapping at the end)
///     24 u32 acknowledged bytes    bytes at the head of the transmit ring the peer acknowledged
///   0x02 closed: the flow's byte stream ended; follows its last entry with received bytes (the
///        fast path posts it on the slow path's behalf). After reason peerFinished the flow may
///        still send, so 0x01 entries with received bytes 0 that only acknowledge sent bytes may
///        follow it; after reset or timedOut no entry for the flow follows.
///     2  u16 reason (CloseReason)   4  u32 flow   8  u64 opaque
///   0x03 rejected: a transmit-queue entry was not applied (see "rejected" below)
/// transmit queue (application → fast path), 32 bytes
///   0x11 update: dissertation A.3 send(id, n, nrx); the fast path applies free before send
///     4  u32 flow
///     8  u32 send bytes    bytes the application appended to the transmit ring (txSend)
///     12 u32 free bytes    received bytes the application is done with (rxFree)
///     16 u64 opaque        the connection's (from accepted/connected); an entry whose opaque is
///                          no longer the flow's is stale (the flow index went to another
///                          connection) and is dropped, not applied
/// request queue (application → slow path), 48 bytes
///   0x21 open listener      2  u16 local port   4  u32 backlog   8  u64 opaque (names the listener)
///   0x22 accept             4  u32 listener (from listener opened)   8  u64 opaque (names the connection)
///   0x23 open connection    2  u16 remote port   4  4B remote address   8  u64 opaque (names the connection)
///   0x24 close              4  u32 flow
///   0x25 move               2  u16 new context   4  u32 flow
///   0x26 close listener     4  u32 listener   8  u64 opaque (names the completion)
/// event queue (slow path → application), 48 bytes
///   0x31 listener opened    2  u16 status   4  u32 listener   8  u64 opaque (from open listener)
///   0x32 new connection     2  u16 remote port   4  u32 listener   8  u64 listener opaque
///                           16 4B remote address          (waiting to be accepted)
///   0x33 accepted, 0x34 connected: completion of accept / open connection
///     2  u16 status   4  u32 flow   8  u64 opaque (from the request)
///     16 u32 receive ring offset    20 u32 receive ring size     offsets into the payload region
///     24 u32 transmit ring offset   28 u32 transmit ring size    shared with this application
///     32 4B  remote address   36 u16 remote port   38 u16 local port
///     40 u16 segment size: payload bytes per segment the connection sends (the negotiated MSS
///            less the timestamp option when timestamps are on)
///   0x35 closed: the slow path is done with the flow (after close, reset or timeout); its index
///        and rings may be reused from now on
///     2  u16 reason (CloseReason)   4  u32 flow   8  u64 opaque
///   0x36 moved              2  u16 status   4  u32 flow   8  u64 opaque   16 u16 new context
///   0x37 rejected: a request-queue entry was not understood (see "rejected")
///   0x38 listener closed    2  u16 status   4  u32 listener   8  u64 opaque (from close listener);
///        follows the failed accepts (status listenerClosed) of the listener's waiting accept requests
/// rejected (0x03 on the receive queue, 0x37 on the event queue)
///     2  u16 reason (RejectionReason)
///     4  u32 bytes 4 ..< 8 of the rejected entry as written (the flow or listener)
///     8  u64 bytes 8 ..< 16 of the rejected entry as written (send and free bytes, or the opaque)
///     16 u8  byte 0 of the rejected entry as written (its type)
///     20 u32 repeats: further rejections folded into this one while the queue was full
/// ```
/// Status codes are `SlowPathStatus` (0: success), reason codes `CloseReason` and `RejectionReason`.
///
/// Order between the queues of one context: the completion that opens a flow (0x33/0x34) is
/// published before the flow's first receive entry; every receive entry of a flow is published
/// before the completion that ends it (0x35 closed) or moves it away (0x36 moved). After `moved`
/// the flow's entries go to the new context's receive queue; the new context hears of the move
/// from the application library that asked (embedded mode: the same process), not from an entry.
///
/// FIN facts. The fast path tracks each flow's FINs (`FlowEvent.closeFlags`: peer finished, ours
/// acknowledged), and these deliberately have no field in the entries: the application needs
/// exactly two facts and gets each once, in order. The peer's FIN becomes the receive queue's
/// 0x02 closed (peerFinished), placed after the last received byte (the slow path learns it from
/// the same flags and posts it); the acknowledgment of our FIN, and the rest of the teardown
/// (LAST-ACK, TIME-WAIT, a reset), becomes the event queue's 0x35 closed once the slow path is done
/// with the flow. A flag on 0x01 would only duplicate the first, and tell the second before the
/// teardown is over.
@usableFromInline package enum ContextQueueLayout {
    package static let magic: UInt32 = 0x5143_5846
    /// 2: the opened entries carry the segment size (bytes 40 ..< 42).
    package static let version: UInt32 = 2

    package static let magicOffset = 0
    package static let versionOffset = 4
    package static let contextOffset = 8
    /// The four slot counts, then the four room-wanted flags, in `ContextQueueKind` order.
    @usableFromInline package static let slotCountsOffset = 12
    @usableFromInline package static let roomWantedFlagsOffset = 64
    package static let headerSize = 128

    /// Entries of the receive and transmit queues.
    @usableFromInline package static let dataEntrySize = 32
    /// Entries of the request and event queues.
    @usableFromInline package static let controlEntrySize = 48

    @usableFromInline package static let entryVersion: UInt8 = 1
    @usableFromInline package static let entryTypeOffset = 0
    @usableFromInline package static let entryVersionOffset = 1

    /// Type codes (byte 0 of an entry).
    package enum EntryType {
        package static let received: UInt8 = 0x01
        package static let closed: UInt8 = 0x02
        package static let transmitRejected: UInt8 = 0x03
        package static let update: UInt8 = 0x11
        package static let openListener: UInt8 = 0x21
        package static let accept: UInt8 = 0x22
        package static let openConnection: UInt8 = 0x23
        package static let close: UInt8 = 0x24
        package static let move: UInt8 = 0x25
        package static let closeListener: UInt8 = 0x26
        package static let listenerOpened: UInt8 = 0x31
        package static let newConnection: UInt8 = 0x32
        package static let accepted: UInt8 = 0x33
        package static let connected: UInt8 = 0x34
        package static let flowClosed: UInt8 = 0x35
        package static let moved: UInt8 = 0x36
        package static let requestRejected: UInt8 = 0x37
        package static let listenerClosed: UInt8 = 0x38
    }

    /// Fields shared by many entries: a 16-bit field at 2 (context, port, status or reason), a
    /// 32-bit one at 4 (flow, listener, backlog or address) and a 64-bit one at 8 (the opaque).
    @usableFromInline package static let shortFieldOffset = 2
    @usableFromInline package static let wordFieldOffset = 4
    @usableFromInline package static let opaqueOffset = 8

    /// 0x01 received.
    package enum Received {
        package static let positionOffset = 16
        package static let bytesOffset = 20
        package static let acknowledgedOffset = 24
    }

    /// 0x11 update.
    package enum Update {
        package static let sendBytesOffset = 8
        package static let freeBytesOffset = 12
        /// The connection's opaque (the entry is stale when it is not the flow's any more).
        package static let opaqueOffset = 16
    }

    /// 0x32 new connection.
    package enum NewConnection {
        package static let remoteAddressOffset = 16
    }

    /// 0x33 accepted and 0x34 connected.
    package enum Opened {
        package static let receiveRingOffsetOffset = 16
        package static let receiveRingSizeOffset = 20
        package static let transmitRingOffsetOffset = 24
        package static let transmitRingSizeOffset = 28
        package static let remoteAddressOffset = 32
        package static let remotePortOffset = 36
        package static let localPortOffset = 38
        package static let segmentSizeOffset = 40
    }

    /// 0x36 moved.
    package enum Moved {
        package static let contextOffset = 16
    }

    /// 0x03 and 0x37 rejected: the reason is the short field, the rejected entry's bytes 4 ..< 8
    /// the word field, its bytes 8 ..< 16 the opaque field.
    package enum Rejected {
        package static let rejectedTypeOffset = 16
        package static let repeatsOffset = 20
    }

    /// The slot count field and room-wanted flag of `queue` in the context header.
    @inlinable package static func slotCountOffset(of queue: ContextQueueKind) -> Int { slotCountsOffset + 4 * queue.rawValue }
    @inlinable package static func roomWantedOffset(of queue: ContextQueueKind) -> Int { roomWantedFlagsOffset + 8 * queue.rawValue }

    /// Where `queue`'s ring starts, given the four slot counts in `ContextQueueKind` order.
    package static func ringOffset(of queue: ContextQueueKind, slotCounts: [Int]) -> Int {
        var offset = headerSize
        for earlier in ContextQueueKind.allCases where earlier.rawValue < queue.rawValue {
            offset += FrameRingLayout.ringSize(slotCount: slotCounts[earlier.rawValue], frameCapacity: earlier.entrySize)
        }
        return offset
    }
}

/// The four queues of a context, in header order.
@usableFromInline package enum ContextQueueKind: Int, CaseIterable, Sendable {
    /// Fast path → application: received, closed, rejected.
    case receive
    /// Application → fast path: update (send/free).
    case transmit
    /// Application → slow path: listener and connection operations.
    case requests
    /// Slow path → application: completions and connection events.
    case events

    /// Bytes per entry, which is also the queue ring's frame capacity.
    @inlinable
    package var entrySize: Int {
        self == .receive || self == .transmit ? ContextQueueLayout.dataEntrySize : ContextQueueLayout.controlEntrySize
    }
}
