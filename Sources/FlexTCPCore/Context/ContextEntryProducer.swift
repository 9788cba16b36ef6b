import Atomics
import FlexPort

/// Writes fixed-size entries into one context queue, through the queue ring's `FrameRingProducer`
/// (so the publish and armed-wake-up protocol is the frame ring's).
///
/// Contract: one thread at a time. `nextEntry()` hands out the next free slot (the caller must fill
/// all `entrySize` bytes before the next call) or nil when the queue is full, which it remembers
/// in `isBlocked`; entries become visible to the consumer at `publish()`, or when `batchSize` of
/// them are waiting. Nothing is ever dropped: a full queue is the producer's to handle.
final class ContextEntryProducer {
    let ring: FrameRing
    let entrySize: Int
    private let producer: FrameRingProducer
    private let batchSize: Int
    /// Entries handed out since the last publish.
    private var unpublished = 0
    private let room: RoomRequest
    /// The last `nextEntry()` found the queue full.
    private(set) var isBlocked = false

    init(ring: FrameRing, consumerSignal: WakeupSignal, room: RoomRequest, batchSize: Int) {
        self.ring = ring
        entrySize = ring.frameCapacity
        producer = FrameRingProducer(ring: ring, wakeup: consumerSignal, overflowCapacity: 0)
        self.batchSize = max(1, batchSize)
        self.room = room
    }

    func nextEntry() -> UnsafeMutableRawPointer? {
        if unpublished == batchSize { publish() }
        guard let entry = producer.reserveSlot(length: entrySize) else {
            isBlocked = true
            return nil
        }
        isBlocked = false
        unpublished &+= 1
        return entry
    }

    /// The queue was formatted anew in place: start over from its indices, nothing handed out.
    func restart() {
        unpublished = 0
        isBlocked = false
        producer.restart()
    }

    /// Entries were handed out since the last publish.
    var hasUnpublishedEntries: Bool { unpublished > 0 }

    func publish() {
        guard unpublished > 0 else { return }
        unpublished = 0
        producer.publishReservedSlots()
    }

    /// True when the consumer has left at least one slot free (after `publish()`). A consumer index
    /// that is corrupt (ahead of ours) leaves no room.
    var hasRoom: Bool {
        let used = ring.producerIndex.load(ordering: .relaxed) &- ring.consumerIndex.load(ordering: .acquiring)
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
