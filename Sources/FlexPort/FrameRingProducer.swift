import Atomics

/// The producing side of a frame ring: hands out ring slots for zero-copy transmit and publishes them.
///
/// Contract: one producer per ring, used by one thread at a time (it may run concurrently with the
/// ring's consumer on another thread).
/// - `reserve(into:count:)` appends free ring slots (length 0). When the ring is full it appends
///   overflow buffers instead, up to `overflowCapacity` outstanding, so a sender is never pushed back
///   by a slow receiver: as on a real link, the excess is dropped (at commit) and counted.
/// - `commit(_:)` publishes, in batch order, every frame whose length is 1 ... `frameCapacity` and
///   gives back zero-length slots. Published frames are contiguous: a frame after a gap, or in an
///   overflow buffer, is copied down into the next free slot (so the batch must keep the order
///   `reserve` gave it). A frame that finds no free slot, or is too long, is a transmit drop.
///   After publishing it signals the consumer's wake-up if the consumer armed the ring.
/// - For fixed-size entries written in place (no batch, no overflow): `reserveSlot(length:)` hands
///   out the next free ring slot with its length set, or nil when the ring is full;
///   `publishReservedSlots()` publishes them in order. A producer uses either this pair or
///   `reserve`/`commit`, never both.
public final class FrameRingProducer {
    public let ring: FrameRing
    public let overflowCapacity: Int
    private let wakeup: WakeupSignal
    private let overflow: UnsafeMutableRawPointer
    private let overflowStride: Int
    /// Our copy of the producer index; we are its only writer.
    private var head: UInt64
    /// The consumer index as last read; refreshed when the cached view shows too little room.
    private var cachedTail: UInt64
    private var reservedSlots = 0
    private var reservedOverflow = 0
    /// Bytes of the slots `reserveSlot` handed out (for the transmitted-bytes counter).
    private var reservedBytes: UInt64 = 0

    /// Produces into `ring`, continuing from its current producer index; `wakeup` is the consumer's signal.
    public init(ring: FrameRing, wakeup: WakeupSignal, overflowCapacity: Int = 64) {
        precondition(overflowCapacity >= 0, "overflow capacity cannot be negative")
        self.ring = ring
        self.wakeup = wakeup
        self.overflowCapacity = overflowCapacity
        overflowStride = FrameRingLayout.slotStride(frameCapacity: ring.frameCapacity)
        overflow = .allocate(byteCount: max(1, overflowCapacity * overflowStride), alignment: FrameRingLayout.alignment)
        head = ring.producerIndex.load(ordering: .relaxed)
        cachedTail = ring.consumerIndex.load(ordering: .acquiring)
    }

    deinit { overflow.deallocate() }

    /// The ring was formatted anew in place (its memory replaced): continue from its current
    /// indices, forgetting every slot and overflow buffer handed out and not published.
    public func restart() {
        head = ring.producerIndex.load(ordering: .relaxed)
        cachedTail = ring.consumerIndex.load(ordering: .acquiring)
        reservedSlots = 0
        reservedOverflow = 0
        reservedBytes = 0
    }

    /// Free slots not yet handed out, re-reading the consumer index when the cached one shows fewer than `wanted`.
    @inline(__always)
    private func freeSlots(wanted: Int) -> Int {
        var free = unreservedSlots()
        if free < wanted {
            cachedTail = ring.consumerIndex.load(ordering: .acquiring)
            free = unreservedSlots()
        }
        return free
    }

    /// A consumer index that runs ahead of the producer is corrupt; it leaves no room rather than trapping.
    @inline(__always)
    private func unreservedSlots() -> Int {
        let used = head &- cachedTail
        guard used <= UInt64(ring.slotCount) else { return 0 }
        return max(0, ring.slotCount - Int(used) - reservedSlots)
    }

    public func reserve(into batch: FrameBatch, count: Int) -> Int {
        // One slot at a time (a sender reserving per frame) while the cached view shows room: the common case.
        if count == 1 && !batch.isFull && unreservedSlots() > 0 {
            appendRingSlot(to: batch)
            return 1
        }
        let wanted = min(count, batch.capacity - batch.count)
        guard wanted > 0 else { return 0 }
        let fromRing = min(wanted, freeSlots(wanted: wanted))
        for _ in 0..<fromRing { appendRingSlot(to: batch) }
        if fromRing == wanted { return wanted }
        let fromOverflow = min(wanted - fromRing, overflowCapacity - reservedOverflow)
        for offset in 0..<fromOverflow {
            let buffer = overflow + (reservedOverflow &+ offset) &* overflowStride
            batch.append(Frame(bytes: buffer, length: 0, capacity: ring.frameCapacity))
        }
        reservedOverflow &+= fromOverflow
        return fromRing &+ fromOverflow
    }

    /// Appends the next unreserved ring slot (length 0) to `batch` and counts it reserved.
    @inline(__always)
    private func appendRingSlot(to batch: FrameBatch) {
        batch.append(Frame(bytes: ring.frameBytes(head &+ UInt64(reservedSlots)), length: 0, capacity: ring.frameCapacity))
        reservedSlots &+= 1
    }

    public func commit(_ batch: FrameBatch) -> Int {
        reservedSlots = 0
        reservedOverflow = 0
        let room = freeSlots(wanted: batch.count)
        var published = 0
        var bytes: UInt64 = 0
        var dropped: UInt64 = 0
        for position in 0..<batch.count {
            let frame = batch[position]
            if frame.length == 0 { continue }
            guard frame.length > 0, frame.length <= ring.frameCapacity, published < room else {
                dropped &+= 1
                continue
            }
            let index = head &+ UInt64(published)
            let destination = ring.frameBytes(index)
            if destination != frame.bytes { destination.copyMemory(from: frame.bytes, byteCount: frame.length) }
            let slot = ring.slot(index)
            slot.storeBytes(of: UInt32(truncatingIfNeeded: frame.length), toByteOffset: FrameRingLayout.slotLengthOffset, as: UInt32.self)
            slot.storeBytes(of: frame.flags.rawValue, toByteOffset: FrameRingLayout.slotFlagsOffset, as: UInt8.self)
            slot.storeBytes(of: frame.segmentSize, toByteOffset: FrameRingLayout.slotSegmentSizeOffset, as: UInt16.self)
            published &+= 1
            bytes &+= UInt64(frame.length)
        }
        batch.removeAll()
        if published > 0 { advanceHead(by: published, bytes: bytes) }
        if dropped > 0 { ring.add(dropped, toCounterAt: FrameRingLayout.transmitDropsOffset) }
        return published
    }

    /// The bytes of the next free slot, reserved with its length set to `length` (1 ...
    /// `frameCapacity`), or nil when the ring is full. Published by `publishReservedSlots()`.
    public func reserveSlot(length: Int) -> UnsafeMutableRawPointer? {
        precondition(length >= 1 && length <= ring.frameCapacity, "slot length out of range")
        guard freeSlots(wanted: 1) > 0 else { return nil }
        let slot = ring.slot(head &+ UInt64(reservedSlots))
        slot.storeBytes(of: UInt32(truncatingIfNeeded: length), toByteOffset: FrameRingLayout.slotLengthOffset, as: UInt32.self)
        slot.storeBytes(of: FrameFlags().rawValue, toByteOffset: FrameRingLayout.slotFlagsOffset, as: UInt8.self)
        slot.storeBytes(of: UInt16(0), toByteOffset: FrameRingLayout.slotSegmentSizeOffset, as: UInt16.self)
        reservedSlots &+= 1
        reservedBytes &+= UInt64(length)
        return slot + FrameRingLayout.slotHeaderSize
    }

    /// Publishes the slots `reserveSlot` handed out, in order; returns how many.
    @discardableResult
    public func publishReservedSlots() -> Int {
        let published = reservedSlots
        guard published > 0 else { return 0 }
        reservedSlots = 0
        advanceHead(by: published, bytes: reservedBytes)
        reservedBytes = 0
        return published
    }

    private func advanceHead(by published: Int, bytes: UInt64) {
        head &+= UInt64(published)
        // Sequentially consistent, so that the load of `armed` below cannot move before it.
        ring.producerIndex.store(head, ordering: .sequentiallyConsistent)
        wakeConsumerIfArmed()
        ring.add(UInt64(published), toCounterAt: FrameRingLayout.transmittedFramesOffset)
        ring.add(bytes, toCounterAt: FrameRingLayout.transmittedBytesOffset)
    }

    private func wakeConsumerIfArmed() {
        let armed = ring.armed
        if armed.load(ordering: .sequentiallyConsistent) != 0, armed.exchange(0, ordering: .sequentiallyConsistent) != 0 {
            wakeup.signal()
        }
    }
}
