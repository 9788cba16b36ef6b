import Atomics
import FlexPort

/// Writes fixed-size entries into one context queue: the frame ring's producer protocol
/// (`FrameRingLayout`: slot length, release-store of the producer index, armed wake-up), cut down
/// to what one entry per slot needs, because it runs for every queue entry.
///
/// Contract: one thread at a time. `nextEntry()` hands out the next free slot, its length already
/// set to the entry size (the caller must fill all `entrySize` bytes before the next call), or nil
/// when the queue is full, which it remembers in `isBlocked`; entries become visible to the
/// consumer at `publish()` (one store of the producer index for all of them), or when `batchSize`
/// of them are waiting. Nothing is ever dropped: a full queue is the producer's to handle. The
/// ring's statistics counters are not kept for context queues.
final class ContextEntryProducer {
    let ring: FrameRing
    let entrySize: Int
    private let wakeup: WakeupSignal
    private let batchSize: Int
    private let room: RoomRequest
    /// The producer index as we last published it; we are its only writer.
    private var head: UInt64
    /// The consumer index as last read; refreshed when it shows no room.
    private var cachedTail: UInt64
    /// Entries handed out since the last publish.
    private var unpublished = 0
    /// The slot header of every entry: its length, no flags, no segment size (`FrameRingLayout`).
    private let slotHeader: UInt64
    /// The last `nextEntry()` found the queue full.
    private(set) var isBlocked = false

    init(ring: FrameRing, consumerSignal: WakeupSignal, room: RoomRequest, batchSize: Int) {
        self.ring = ring
        entrySize = ring.frameCapacity
        wakeup = consumerSignal
        self.batchSize = max(1, batchSize)
        self.room = room
        slotHeader = UInt64(UInt32(truncatingIfNeeded: ring.frameCapacity))
        head = ring.producerIndex.load(ordering: .relaxed)
        cachedTail = ring.consumerIndex.load(ordering: .acquiring)
    }

    @inline(__always)
    func nextEntry() -> UnsafeMutableRawPointer? {
        if unpublished == batchSize { publish() }
        let index = head &+ UInt64(unpublished)
        // A consumer index ahead of ours (corrupt) makes the difference huge: no room, never a trap.
        if index &- cachedTail >= UInt64(ring.slotCount) {
            cachedTail = ring.consumerIndex.load(ordering: .acquiring)
            guard index &- cachedTail < UInt64(ring.slotCount) else {
                isBlocked = true
                return nil
            }
        }
        isBlocked = false
        unpublished &+= 1
        let slot = ring.slot(index)
        // Length, flags, reserved byte and segment size in one store (little-endian, as the layout).
        slot.storeBytes(of: slotHeader.littleEndian, toByteOffset: FrameRingLayout.slotLengthOffset, as: UInt64.self)
        return slot + FrameRingLayout.slotHeaderSize
    }

    /// The queue was formatted anew in place: start over from its indices, nothing handed out.
    func restart() {
        unpublished = 0
        isBlocked = false
        head = ring.producerIndex.load(ordering: .relaxed)
        cachedTail = ring.consumerIndex.load(ordering: .acquiring)
    }

    /// Entries were handed out since the last publish.
    var hasUnpublishedEntries: Bool { unpublished > 0 }

    @inline(__always)
    func publish() {
        if unpublished > 0 { publishHandedOut() }
    }

    private func publishHandedOut() {
        head &+= UInt64(unpublished)
        unpublished = 0
        // Sequentially consistent, so that the load of `armed` below cannot move before it.
        ring.producerIndex.store(head, ordering: .sequentiallyConsistent)
        let armed = ring.armed
        if armed.load(ordering: .sequentiallyConsistent) != 0, armed.exchange(0, ordering: .sequentiallyConsistent) != 0 {
            wakeup.signal()
        }
    }

    /// True when the consumer has left at least one slot free (after `publish()`). Counted from our
    /// own head, never from the producer index in shared memory (a hostile consumer could rewrite
    /// that and fake room); a consumer index that is corrupt (ahead of ours) leaves no room.
    var hasRoom: Bool {
        let used = head &- ring.consumerIndex.load(ordering: .acquiring)
        return used < UInt64(ring.slotCount)
    }

    /// Before sleeping or leaving entries pending: asks the consumer for a signal when it frees
    /// slots, then looks again. Returns true if there is room already (no signal will come).
    func requestRoom() -> Bool {
        room.announce()
        guard hasRoom else { return false }
        room.withdraw()
        return true
    }
}
