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
    private let batch: FrameBatch
    private let room: RoomRequest
    /// The last `nextEntry()` found the queue full.
    private(set) var isBlocked = false

    init(ring: FrameRing, consumerSignal: WakeupSignal, room: RoomRequest, batchSize: Int) {
        self.ring = ring
        entrySize = ring.frameCapacity
        producer = FrameRingProducer(ring: ring, wakeup: consumerSignal, overflowCapacity: 0)
        batch = FrameBatch(capacity: batchSize)
        self.room = room
    }

    func nextEntry() -> UnsafeMutableRawPointer? {
        if batch.isFull { publish() }
        guard producer.reserve(into: batch, count: 1) == 1 else {
            isBlocked = true
            return nil
        }
        isBlocked = false
        let index = batch.count &- 1
        var slot = batch[index]
        slot.length = entrySize
        batch[index] = slot
        return slot.bytes
    }

    func publish() {
        guard !batch.isEmpty else { return }
        _ = producer.commit(batch)
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
