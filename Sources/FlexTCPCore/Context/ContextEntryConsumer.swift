import Atomics
import FlexPort

/// Reads fixed-size entries from one context queue, in place, through the queue ring's
/// `FrameRingConsumer` (so index handling, hostile-producer clamping and the armed wait are the
/// frame ring's).
///
/// Contract: one thread at a time. `next()` returns the next entry's bytes and length (the slot
/// stays valid until `releaseConsumed()` gives it back) or nil when the queue is empty. Slots are
/// given back only once every entry handed out has been returned by `next()`, and after giving
/// them back the consumer signals a producer that asked for room.
final class ContextEntryConsumer {
    let ring: FrameRing
    private let consumer: FrameRingConsumer
    private let batch: FrameBatch
    private let room: RoomRequest
    private var position = 0
    private var reportedSkips: UInt64

    init(ring: FrameRing, signal: WakeupSignal, room: RoomRequest, batchSize: Int) {
        self.ring = ring
        consumer = FrameRingConsumer(ring: ring, wakeup: signal)
        batch = FrameBatch(capacity: batchSize)
        self.room = room
        reportedSkips = ring.counter(at: FrameRingLayout.receiveDropsOffset)
    }

    func next() -> Frame? {
        if position == batch.count {
            releaseConsumed()
            guard consumer.receive(into: batch) > 0 else { return nil }
        }
        let entry = batch[position]
        position &+= 1
        return entry
    }

    func releaseConsumed() {
        guard position == batch.count, !batch.isEmpty else { return }
        consumer.release(batch)
        position = 0
        room.notifyProducer()
    }

    /// Slots the ring consumer skipped (length 0 or beyond the entry size) since the last call.
    func takeSkippedSlots() -> UInt64 {
        let skips = ring.counter(at: FrameRingLayout.receiveDropsOffset)
        defer { reportedSkips = skips }
        return skips &- reportedSkips
    }

    /// Entries handed out but not yet returned by `next()`, or published and not yet handed out.
    var hasPending: Bool { position < batch.count || consumer.hasPendingFrames }

    /// Sleeps until entries are published, `timeoutNanoseconds` pass, or the consumer's signal fires.
    func waitForEntries(timeoutNanoseconds: Int64) -> Bool {
        position < batch.count || consumer.waitForFrames(timeoutNanoseconds: timeoutNanoseconds)
    }

    /// For a wait on several queues with one signal: the ring's armed flag (`FrameRingLayout`).
    func arm() { ring.armed.store(1, ordering: .sequentiallyConsistent) }
    func disarm() { ring.armed.store(0, ordering: .relaxed) }
}

/// The entry type of one of the context queues: it writes all of a slot's entry bytes and reads
/// them back, throwing for anything its encoder cannot produce.
protocol ContextQueueEntry {
    func encode(to entry: UnsafeMutableRawPointer)
    init(decoding entry: UnsafeRawPointer, length: Int) throws(ContextEntryError)
}

extension ReceiveQueueEntry: ContextQueueEntry {}
extension TransmitRequest: ContextQueueEntry {}
extension SlowPathRequest: ContextQueueEntry {}
extension SlowPathEvent: ContextQueueEntry {}

extension ContextEntryConsumer {
    /// Decodes entries into `entries` until it is full or the queue is empty, handing each entry
    /// that does not decode to `reject`; returns how many it stored. Gives back the slots it used up.
    func take<Entry: ContextQueueEntry>(into entries: UnsafeMutableBufferPointer<Entry>,
                                          reject: (EntryBytes, ContextEntryError) -> Void) -> Int {
        // Nothing handed out and nothing published: a look at two indices instead of a receive.
        if position == batch.count && !ring.hasUnconsumedEntries { return 0 }
        var stored = 0
        while stored < entries.count, let entry = next() {
            do {
                entries[stored] = try Entry(decoding: entry.bytes, length: entry.length)
                stored &+= 1
            } catch {
                reject(EntryBytes(entry.bytes), error)
            }
        }
        releaseConsumed()
        return stored
    }
}
