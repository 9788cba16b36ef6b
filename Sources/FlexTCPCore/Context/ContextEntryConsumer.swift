import Atomics
import FlexPort

/// Reads fixed-size entries from one context queue, in place, through the queue ring's
/// `FrameRingConsumer` (so index handling, hostile-producer clamping and the armed wait are the
/// frame ring's).
///
/// Contract: one thread at a time. `next()` returns the next entry's bytes and length (the slot
/// stays valid until `releaseConsumed()` gives it back, or until `batchSize` later entries were
/// taken) or nil when the queue is empty. After giving slots back the consumer signals a producer
/// that asked for room.
final class ContextEntryConsumer {
    let ring: FrameRing
    private let consumer: FrameRingConsumer
    private let batchSize: Int
    private let room: RoomRequest
    /// Entries handed out whose slots have not been given back.
    private var taken = 0
    private var reportedSkips: UInt64

    init(ring: FrameRing, signal: WakeupSignal, room: RoomRequest, batchSize: Int) {
        self.ring = ring
        consumer = FrameRingConsumer(ring: ring, wakeup: signal)
        self.batchSize = max(1, batchSize)
        self.room = room
        reportedSkips = ring.counter(at: FrameRingLayout.receiveDropsOffset)
    }

    func next() -> Frame? {
        // Room for the producer during a long drain: give back every `batchSize` entries.
        if taken == batchSize { releaseConsumed() }
        guard let entry = consumer.takeFrame() else { return nil }
        taken &+= 1
        return entry
    }

    /// The queue was formatted anew in place: start over from its indices, nothing handed out.
    func restart() {
        taken = 0
        consumer.restart()
        reportedSkips = ring.counter(at: FrameRingLayout.receiveDropsOffset)
    }

    func releaseConsumed() {
        guard taken > 0 else { return }
        taken = 0
        consumer.releaseTaken()
        room.notifyProducer()
    }

    /// Slots the ring consumer skipped (length 0 or beyond the entry size) since the last call. The
    /// counter lies in memory the producer can write (a hostile application's): at most a ring's
    /// worth per call is believed.
    func takeSkippedSlots() -> UInt64 {
        let skips = ring.counter(at: FrameRingLayout.receiveDropsOffset)
        defer { reportedSkips = skips }
        return min(skips &- reportedSkips, UInt64(ring.slotCount))
    }

    /// Entries published and not yet handed out.
    var hasPending: Bool { consumer.hasPendingFrames }

    /// Sleeps until entries are published, `timeoutNanoseconds` pass, or the consumer's signal fires.
    func waitForEntries(timeoutNanoseconds: Int64) -> Bool {
        consumer.waitForFrames(timeoutNanoseconds: timeoutNanoseconds)
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
    @inline(__always)
    func take<Entry: ContextQueueEntry>(into entries: UnsafeMutableBufferPointer<Entry>,
                                          reject: (EntryBytes, ContextEntryError) -> Void) -> Int {
        // Nothing published past what was given back: a look at two indices instead of a take.
        ring.hasUnconsumedEntries ? takeAvailable(into: entries, reject: reject) : 0
    }

    private func takeAvailable<Entry: ContextQueueEntry>(into entries: UnsafeMutableBufferPointer<Entry>,
                                                         reject: (EntryBytes, ContextEntryError) -> Void) -> Int {
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
