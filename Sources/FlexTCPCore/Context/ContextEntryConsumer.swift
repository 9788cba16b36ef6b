import Atomics
import FlexPort

/// Reads fixed-size entries from one context queue, in place: the frame ring's consumer protocol
/// (`FrameRingLayout`: acquire-load of the producer index, release-store of the consumer index,
/// armed wait), cut down to what one entry per slot needs, because it runs for every queue entry.
///
/// Contract: one thread at a time. `next()` returns the next entry's bytes and length (the slot
/// stays valid until `releaseConsumed()` gives it back, or until `batchSize` later entries were
/// taken) among those published when the producer index was last read, or nil when they are used
/// up; `hasPending` reads the producer index again once they are (so a drain reads it once, and
/// what is published meanwhile waits for the next drain). It never believes more than the ring
/// holds (a hostile producer's index is clamped). A slot whose length is outside 1 ... entry size is skipped and counted
/// (`takeSkippedSlots`); other lengths are handed out for the entry decoder to judge. After giving
/// slots back the consumer signals a producer that asked for room. The ring's statistics counters
/// are not kept for context queues.
final class ContextEntryConsumer {
    let ring: FrameRing
    private let signal: WakeupSignal
    private let batchSize: Int
    private let room: RoomRequest
    /// The next slot to hand out.
    private var cursor: UInt64
    /// The consumer index as last published; we are its only writer.
    private var released: UInt64
    /// Slots up to here were published when the producer index was last read (clamped).
    private var visibleEnd: UInt64
    /// Slots skipped for a bad length and not yet reported.
    private var skippedSlots: UInt64 = 0

    init(ring: FrameRing, signal: WakeupSignal, room: RoomRequest, batchSize: Int) {
        self.ring = ring
        self.signal = signal
        self.batchSize = max(1, batchSize)
        self.room = room
        released = ring.consumerIndex.load(ordering: .relaxed)
        cursor = released
        visibleEnd = released
    }

    @inline(__always)
    func next() -> Frame? {
        // Room for the producer during a long drain: give back every `batchSize` entries.
        if cursor &- released == UInt64(batchSize) { releaseConsumed() }
        while cursor != visibleEnd {
            let slot = ring.slot(cursor)
            cursor &+= 1
            let length = Int(UInt32(littleEndian: slot.load(fromByteOffset: FrameRingLayout.slotLengthOffset, as: UInt32.self)))
            if length >= 1 && length <= ring.frameCapacity {
                return Frame(bytes: slot + FrameRingLayout.slotHeaderSize, length: length, capacity: ring.frameCapacity)
            }
            skippedSlots &+= 1
        }
        return nil
    }

    /// Reads the producer index; true when it shows slots past `visibleEnd`. Never more than the
    /// slots not handed out: a producer index beyond that (or behind us) is corrupt and clamped.
    @inline(__always)
    private func refreshVisibleEnd() -> Bool {
        let published = ring.producerIndex.load(ordering: .acquiring)
        let handedOut = cursor &- released
        visibleEnd = cursor &+ min(published &- cursor, UInt64(ring.slotCount) &- handedOut)
        return visibleEnd != cursor
    }

    /// The queue was formatted anew in place: start over from its indices, nothing handed out.
    func restart() {
        released = ring.consumerIndex.load(ordering: .relaxed)
        cursor = released
        visibleEnd = released
        skippedSlots = 0
    }

    @inline(__always)
    func releaseConsumed() {
        if cursor != released { giveBackTaken() }
    }

    private func giveBackTaken() {
        released = cursor
        ring.consumerIndex.store(released, ordering: .releasing)
        room.notifyProducer()
    }

    /// Slots skipped for a bad length since the last call.
    func takeSkippedSlots() -> UInt64 {
        defer { skippedSlots = 0 }
        return skippedSlots
    }

    /// Entries published and not yet handed out (the producer index is read only when the
    /// entries seen at the last read are used up).
    @inline(__always)
    var hasPending: Bool { cursor != visibleEnd || refreshVisibleEnd() }

    /// Sleeps until entries are published, `timeoutNanoseconds` pass, or the consumer's signal fires.
    func waitForEntries(timeoutNanoseconds: Int64) -> Bool {
        if hasPending { return true }
        guard timeoutNanoseconds > 0 else { return false }
        arm()
        // Look again after arming: a producer that published before it saw `armed` is caught here.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if hasPending {
            disarm()
            return true
        }
        let signalled = signal.wait(timeoutNanoseconds: timeoutNanoseconds)
        disarm()
        return signalled || hasPending
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
        // One read of the producer index per take: what was published meanwhile waits for the next.
        guard hasPending else { return 0 }
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
