/// A receive queue of the host interface, built as a real NIC's receive queue and its completion
/// queue: the host posts free buffers — descriptors naming a buffer (byte offset and length) in
/// the region's receive buffer area — on `freeBuffers`; the NIC writes each frame it delivers into
/// the next posted buffer and publishes a completion (frame length, descriptor value, the buffer's
/// address and length) on `completions`; the host reads completions and posts the buffers again.
///
/// Contract:
/// - NIC side (`deliver`): the NIC keeps its own copies of the indices it owns (the free ring's
///   consumer index, the completion ring's producer index) and only ever publishes them, so a host
///   that overwrites them changes nothing. A frame is written only into a posted buffer that lies
///   wholly inside `bufferArea` and holds it; otherwise nothing is written and the frame is dropped
///   with the reason `deliver` returns (the caller counts it): no posted buffer (back-pressure), the
///   completion ring full, a host index more than a ring ahead of (or behind) the NIC's, or a buffer
///   too small for the frame (the buffer stays posted for a smaller one). A posted descriptor outside
///   the area or of length 0 is consumed and counted in `refusedBuffers`, never written through.
/// - Host side: `postBuffer` (the NIC judges the buffer), `front`, `removeFront` (consumes the oldest
///   completion and posts its buffer again), `takeFront` (consumes it; the buffer stays with the host
///   until it posts it). A completion naming memory outside the area reads as empty.
/// - Nothing allocates except `dequeueCopy`. One thread runs both sides (the model).
public final class ReceiveQueue {
    public let region: SharedMemoryRegion
    /// Free buffers the host posted (the host produces, the NIC consumes).
    public let freeBuffers: DescriptorRing
    /// Completed frames (the NIC produces, the host consumes).
    public let completions: DescriptorRing
    /// The byte range of the region posted buffers must lie in.
    public let bufferArea: Range<Int>
    /// Posted descriptors the NIC consumed without writing: outside `bufferArea` or of length 0.
    public private(set) var refusedBuffers: UInt64 = 0
    private var freeConsumer: UInt32 = 0
    private var completionProducer: UInt32 = 0

    /// A queue whose two rings of `capacity` entries (a power of two) are carved from `region`;
    /// nil when the region has no room. Buffers must lie in `bufferArea` (within `region` and below 4 GiB).
    init?(in region: SharedMemoryRegion, capacity: Int, bufferArea: Range<Int>) {
        precondition(bufferArea.lowerBound >= 0 && bufferArea.upperBound <= min(region.size, Int(UInt32.max)),
                     "the buffer area lies in the region and is addressable by 32-bit offsets")
        guard let freeBuffers = DescriptorRing(in: region, capacity: capacity, slotSize: 0),
              let completions = DescriptorRing(in: region, capacity: capacity, slotSize: 0) else { return nil }
        self.region = region
        self.freeBuffers = freeBuffers
        self.completions = completions
        self.bufferArea = bufferArea
    }

    /// Entries each ring holds.
    public var capacity: Int { completions.capacity }

    // MARK: NIC side

    /// What `deliver` did with a frame.
    enum Delivery {
        case delivered
        /// Dropped: nothing written.
        case noBuffer, completionRingFull, ringIndexInvalid, bufferTooSmall
    }

    /// Frames the NIC could deliver now: completion slots free and buffers posted, whichever is fewer
    /// (0 when a host index is invalid).
    var room: Int {
        let completed = completionProducer &- completions.consumerIndex
        let posted = freeBuffers.producerIndex &- freeConsumer
        guard completed <= UInt32(capacity), posted <= UInt32(freeBuffers.capacity) else { return 0 }
        return min(capacity - Int(completed), Int(posted))
    }

    /// Writes `length` bytes at `bytes` into the next posted buffer and completes it with `value`.
    func deliver(_ bytes: UnsafeRawPointer, length: Int, value: UInt32) -> Delivery {
        let completed = completionProducer &- completions.consumerIndex
        guard completed <= UInt32(capacity) else { return .ringIndexInvalid }
        guard completed < UInt32(capacity) else { return .completionRingFull }
        var posted = freeBuffers.producerIndex &- freeConsumer
        guard posted <= UInt32(freeBuffers.capacity) else { return .ringIndexInvalid }
        while posted > 0 {
            let buffer = freeBuffers.descriptor(at: freeConsumer)
            guard buffer.bufferLength > 0, Int(buffer.bufferAddress) >= bufferArea.lowerBound,
                  Int(buffer.bufferLength) <= bufferArea.upperBound - Int(buffer.bufferAddress) else {
                refusedBuffers &+= 1
                consumeFreeBuffer()
                posted &-= 1
                continue
            }
            guard length <= Int(buffer.bufferLength) else { return .bufferTooSmall }
            (region.base + Int(buffer.bufferAddress)).copyMemory(from: bytes, byteCount: length)
            consumeFreeBuffer()
            completions.storeDescriptor(RingDescriptor(length: UInt32(length), value: value, bufferAddress: buffer.bufferAddress,
                                                       bufferLength: buffer.bufferLength), at: completionProducer)
            completionProducer &+= 1
            completions.storeProducerIndex(completionProducer)
            return .delivered
        }
        return .noBuffer
    }

    private func consumeFreeBuffer() {
        freeConsumer &+= 1
        freeBuffers.storeConsumerIndex(freeConsumer)
    }

    // MARK: Host side

    /// Posts the `length` bytes at region offset `offset` as a free buffer; false when the free-buffer
    /// ring is full or the offset or length does not fit 32 bits.
    @discardableResult
    public func postBuffer(offset: Int, length: Int) -> Bool {
        let producer = freeBuffers.producerIndex
        guard producer &- freeBuffers.consumerIndex < UInt32(freeBuffers.capacity),
              let address = UInt32(exactly: offset), let bytes = UInt32(exactly: length) else { return false }
        freeBuffers.storeDescriptor(RingDescriptor(length: 0, value: 0, bufferAddress: address, bufferLength: bytes), at: producer)
        freeBuffers.storeProducerIndex(producer &+ 1)
        return true
    }

    /// Completions waiting for the host (at most `capacity`).
    public var count: Int { completions.count }
    public var isEmpty: Bool { completions.isEmpty }
    /// Frames the NIC can deliver before it drops (see `room`).
    public var freeCount: Int { room }

    /// The oldest completion's frame and descriptor value, nil when there is none; valid until it is consumed.
    public var front: (bytes: UnsafeRawBufferPointer, descriptor: UInt32)? {
        guard let completion = oldestCompletion else { return nil }
        return (bytes(of: completion), completion.value)
    }

    /// Consumes the oldest completion and posts its buffer again (when the free-buffer ring has room;
    /// otherwise the buffer stays with the host). No-op when there is none.
    public func removeFront() {
        guard let buffer = takeFront() else { return }
        postBuffer(offset: buffer.offset, length: buffer.length)
    }

    /// Consumes the oldest completion without posting its buffer again; returns the buffer (region
    /// offset and length) the host now holds, nil when there is none.
    @discardableResult
    public func takeFront() -> (offset: Int, length: Int)? {
        guard let completion = oldestCompletion else { return nil }
        completions.storeConsumerIndex(completions.consumerIndex &+ 1)
        return (Int(completion.bufferAddress), Int(completion.bufferLength))
    }

    /// Takes the oldest completion as a copy and posts its buffer again (allocates; for tests and tools).
    public func dequeueCopy() -> (bytes: [UInt8], descriptor: UInt32)? {
        guard let entry = front else { return nil }
        let copy = (Array(entry.bytes), entry.descriptor)
        removeFront()
        return copy
    }

    private var oldestCompletion: RingDescriptor? {
        let consumer = completions.consumerIndex
        guard completions.producerIndex != consumer else { return nil }
        return completions.descriptor(at: consumer)
    }

    /// The completed frame's bytes: empty unless frame and buffer lie in the area.
    private func bytes(of completion: RingDescriptor) -> UnsafeRawBufferPointer {
        let start = Int(completion.bufferAddress), length = Int(min(completion.length, completion.bufferLength))
        guard start >= bufferArea.lowerBound, start <= bufferArea.upperBound, length <= bufferArea.upperBound - start else {
            return UnsafeRawBufferPointer(start: region.base, count: 0)
        }
        return UnsafeRawBufferPointer(start: region.base + start, count: length)
    }
}
