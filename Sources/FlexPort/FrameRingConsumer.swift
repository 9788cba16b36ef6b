import Atomics

/// The consuming side of a frame ring: lends out published frames in place and gives their slots back.
///
/// Contract: one consumer per ring, used by one thread at a time (it may run concurrently with the
/// ring's producer on another thread).
/// - `receive(into:)` appends views of published frames directly in the ring slots, without copying.
///   A slot whose length is outside 1 ... `frameCapacity` (a misbehaving producer) is skipped and
///   counted as a receive drop. With `trustsPartialChecksums`, a frame flagged `.checksumPartial`
///   is handed out flagged `.checksumVerified` too (its producer is trusted to need no checksum).
/// - `release(_:)` gives back every slot handed out so far and empties the batch.
/// - For entries taken one at a time (no batch): `takeFrame()` hands out the next published frame
///   in place (skipping and counting bad slots the same way), `releaseTaken()` gives back every
///   slot handed out so far.
/// - `waitForFrames(timeoutNanoseconds:)` follows the armed-flag protocol of `FrameRingLayout`:
///   it never sleeps through a frame published before or during the call.
public final class FrameRingConsumer {
    public let ring: FrameRing
    private let wakeup: WakeupSignal
    private let trustsPartialChecksums: Bool
    /// The next slot to hand out.
    private var cursor: UInt64
    /// The consumer index as last published; we are its only writer.
    private var released: UInt64

    /// Consumes from `ring`, continuing from its current consumer index; `wakeup` is the signal its producer uses.
    public init(ring: FrameRing, wakeup: WakeupSignal, trustsPartialChecksums: Bool = false) {
        self.ring = ring
        self.wakeup = wakeup
        self.trustsPartialChecksums = trustsPartialChecksums
        released = ring.consumerIndex.load(ordering: .relaxed)
        cursor = released
    }

    /// The ring was formatted anew in place (its memory replaced): continue from its current
    /// consumer index, forgetting every frame handed out.
    public func restart() {
        released = ring.consumerIndex.load(ordering: .relaxed)
        cursor = released
    }

    /// Published slots not yet handed out. A producer index outside the ring's capacity is corrupt and
    /// is clamped to what the ring can hold.
    private func pendingSlots(producerIndex: UInt64) -> Int {
        let handedOut = Int(truncatingIfNeeded: cursor &- released)
        return Int(truncatingIfNeeded: min(producerIndex &- cursor, UInt64(ring.slotCount &- handedOut)))
    }

    public func receive(into batch: FrameBatch) -> Int {
        var pending = pendingSlots(producerIndex: ring.producerIndex.load(ordering: .acquiring))
        var appended = 0
        var bytes: UInt64 = 0
        var dropped: UInt64 = 0
        while pending > 0 && !batch.isFull {
            let slot = ring.slot(cursor)
            cursor &+= 1
            pending &-= 1
            guard let frame = frame(in: slot) else {
                dropped &+= 1
                continue
            }
            batch.append(frame)
            appended &+= 1
            bytes &+= UInt64(frame.length)
        }
        if appended > 0 {
            ring.add(UInt64(appended), toCounterAt: FrameRingLayout.receivedFramesOffset)
            ring.add(bytes, toCounterAt: FrameRingLayout.receivedBytesOffset)
        }
        if dropped > 0 { ring.add(dropped, toCounterAt: FrameRingLayout.receiveDropsOffset) }
        return appended
    }

    /// The frame in `slot`; nil when its length is outside 1 ... `frameCapacity`.
    @inline(__always)
    private func frame(in slot: UnsafeMutableRawPointer) -> Frame? {
        let length = Int(slot.load(fromByteOffset: FrameRingLayout.slotLengthOffset, as: UInt32.self))
        guard length >= 1 && length <= ring.frameCapacity else { return nil }
        var flags = FrameFlags(rawValue: slot.load(fromByteOffset: FrameRingLayout.slotFlagsOffset, as: UInt8.self))
        if trustsPartialChecksums && flags.contains(.checksumPartial) { flags.insert(.checksumVerified) }
        let segmentSize = slot.load(fromByteOffset: FrameRingLayout.slotSegmentSizeOffset, as: UInt16.self)
        return Frame(bytes: slot + FrameRingLayout.slotHeaderSize, length: length, capacity: ring.frameCapacity,
                     flags: flags, segmentSize: segmentSize)
    }

    /// The next published frame, in place (valid until `releaseTaken()`), or nil when none is
    /// published; slots with a bad length are skipped and counted as receive drops.
    public func takeFrame() -> Frame? {
        while pendingSlots(producerIndex: ring.producerIndex.load(ordering: .acquiring)) > 0 {
            let slot = ring.slot(cursor)
            cursor &+= 1
            if let frame = frame(in: slot) {
                ring.add(1, toCounterAt: FrameRingLayout.receivedFramesOffset)
                ring.add(UInt64(frame.length), toCounterAt: FrameRingLayout.receivedBytesOffset)
                return frame
            }
            ring.add(1, toCounterAt: FrameRingLayout.receiveDropsOffset)
        }
        return nil
    }

    /// Gives back every slot handed out so far (`takeFrame`, `receive`).
    public func releaseTaken() {
        guard cursor != released else { return }
        released = cursor
        ring.consumerIndex.store(released, ordering: .releasing)
    }

    public func release(_ batch: FrameBatch) {
        batch.removeAll()
        releaseTaken()
    }

    /// True when published frames are waiting to be handed out.
    public var hasPendingFrames: Bool {
        pendingSlots(producerIndex: ring.producerIndex.load(ordering: .acquiring)) > 0
    }

    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool {
        if hasPendingFrames { return true }
        guard timeoutNanoseconds > 0 else { return false }
        guard arm() else { return true }
        let signalled = wakeup.wait(timeoutNanoseconds: timeoutNanoseconds)
        ring.armed.store(0, ordering: .relaxed)
        return signalled || hasPendingFrames
    }

    /// Sets the ring's armed flag for a sleep on `wakeup`'s descriptor; false (flag cleared again)
    /// when frames are already published. A producer that publishes later sees the flag and signals.
    public func arm() -> Bool {
        ring.armed.store(1, ordering: .sequentiallyConsistent)
        // Re-check after arming: a producer that published before seeing `armed` is caught here.
        guard pendingSlots(producerIndex: ring.producerIndex.load(ordering: .sequentiallyConsistent)) == 0 else {
            ring.armed.store(0, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Ends a sleep begun with `arm()`: clears the flag and resets the signal's counter.
    public func disarm() {
        ring.armed.store(0, ordering: .relaxed)
        _ = wakeup.wait(timeoutNanoseconds: 0)
    }

    /// The descriptor of the signal producers use (readable after a signal).
    public var wakeupDescriptor: Int32 { wakeup.fileDescriptor }
}
