/// A descriptor ring in a `SharedMemoryRegion`: the queue between host and NIC. One side produces
/// (writes the next descriptor, and the frame into its buffer, then publishes the producer index), the
/// other consumes (reads the descriptor at the consumer index, then advances it). Rings with buffers
/// of their own (`slotSize` > 0): the exception ring (the NIC produces, the host consumes) and the
/// transmit rings (the host produces and rings a doorbell, the NIC consumes). Rings of descriptors
/// only (`slotSize` 0) name buffers elsewhere in the region: a receive queue's free-buffer and
/// completion rings (see `ReceiveQueue`).
///
/// Memory layout at `offset` (little-endian words, so software can read it raw):
/// - `+0`: producer index (UInt32, free-running, written only by the producer);
/// - `+64`: consumer index (UInt32, free-running, written only by the consumer);
/// - `+128`: `capacity` descriptors of 16 bytes: length (UInt32: the frame's bytes; 0 in a posted
///   free buffer), value (UInt32: the NIC-computed hash or descriptor word, the exception reason, or
///   the host's word on transmit), buffer address (UInt32: the buffer's byte offset in the region) and
///   buffer length (UInt32); the last two only in rings of descriptors only, 0 otherwise;
/// - then `capacity` buffers of `slotSize` bytes (none when it is 0); descriptor `i` owns buffer `i`.
///
/// Contract: `capacity` is a power of two; entries = producer − consumer (wrapping), never more than
/// `capacity`. `enqueue` refuses (false) when the ring is full or the frame longer than a slot and
/// never overwrites an unconsumed entry; nothing allocates except `dequeueCopy`. A descriptor whose
/// length exceeds the slot (a corrupt producer) is read as `slotSize` bytes at most. One producer and
/// one consumer on the thread that runs the model.
public final class DescriptorRing {
    /// The shared-memory region the ring's indices, descriptors and buffers live in.
    public let region: SharedMemoryRegion
    /// Where the ring starts in the region.
    public let offset: Int
    /// Entries the ring holds (a power of two).
    public let capacity: Int
    /// Bytes of each entry's buffer: the longest frame an entry can hold (0: descriptors only).
    public let slotSize: Int
    private let producerWord: UnsafeMutablePointer<UInt32>
    private let consumerWord: UnsafeMutablePointer<UInt32>
    private let descriptors: UnsafeMutableRawPointer
    private let buffers: UnsafeMutableRawPointer
    static let descriptorSize = 16
    static let headerSize = 128

    /// The bytes a ring of `capacity` slots of `slotSize` bytes takes in a region.
    public static func byteCount(capacity: Int, slotSize: Int) -> Int { headerSize + capacity * (descriptorSize + slotSize) }

    /// The entries a ring asked for `capacity` entries has: `capacity` rounded up to a power of two.
    public static func roundedCapacity(_ capacity: Int) -> Int {
        var rounded = 1
        while rounded < capacity { rounded <<= 1 }
        return rounded
    }

    /// Carves a ring of at least `capacity` entries (rounded up to a power of two) with buffers of
    /// `slotSize` bytes (0: descriptors only) from `region`; nil when the region has no room for it.
    public init?(in region: SharedMemoryRegion, capacity: Int, slotSize: Int = 2_048) {
        precondition(capacity > 0 && slotSize >= 0, "a ring needs room")
        let rounded = Self.roundedCapacity(capacity)
        guard let offset = region.carve(byteCount: Self.byteCount(capacity: rounded, slotSize: slotSize)) else { return nil }
        self.region = region
        self.offset = offset
        self.capacity = rounded
        self.slotSize = slotSize
        let start = region.base + offset
        producerWord = start.bindMemory(to: UInt32.self, capacity: 1)
        consumerWord = (start + 64).bindMemory(to: UInt32.self, capacity: 1)
        descriptors = start + Self.headerSize
        buffers = descriptors + rounded * Self.descriptorSize
    }

    /// The producer and consumer indices as they are in shared memory.
    public var producerIndex: UInt32 { UInt32(littleEndian: producerWord.pointee) }
    public var consumerIndex: UInt32 { UInt32(littleEndian: consumerWord.pointee) }

    /// Entries produced and not yet consumed (at most `capacity`).
    public var count: Int { min(Int(producerIndex &- consumerIndex), capacity) }
    public var freeCount: Int { capacity - count }
    public var isEmpty: Bool { producerIndex == consumerIndex }

    // MARK: Producer side

    /// Copies `length` bytes at `bytes` into the next slot with descriptor value `descriptor` and
    /// publishes it; false (nothing written) when the ring is full or the frame longer than a slot.
    public func enqueue(_ bytes: UnsafeRawPointer, length: Int, descriptor: UInt32) -> Bool {
        let producer = producerIndex
        guard producer &- consumerIndex < UInt32(capacity), length >= 0, length <= slotSize else { return false }
        let slot = Int(producer & UInt32(capacity - 1))
        (buffers + slot * slotSize).copyMemory(from: bytes, byteCount: length)
        let entry = descriptors + slot * Self.descriptorSize
        entry.storeBytes(of: UInt32(length).littleEndian, as: UInt32.self)
        entry.storeBytes(of: descriptor.littleEndian, toByteOffset: 4, as: UInt32.self)
        producerWord.pointee = (producer &+ 1).littleEndian
        return true
    }

    /// Writes `descriptor` at free-running index `index` (descriptors-only rings; the caller owns the
    /// producer index and publishes it with `storeProducerIndex`).
    func storeDescriptor(_ descriptor: RingDescriptor, at index: UInt32) {
        let entry = descriptors + Int(index & UInt32(capacity - 1)) * Self.descriptorSize
        entry.storeBytes(of: descriptor.length.littleEndian, as: UInt32.self)
        entry.storeBytes(of: descriptor.value.littleEndian, toByteOffset: 4, as: UInt32.self)
        entry.storeBytes(of: descriptor.bufferAddress.littleEndian, toByteOffset: 8, as: UInt32.self)
        entry.storeBytes(of: descriptor.bufferLength.littleEndian, toByteOffset: 12, as: UInt32.self)
    }

    /// The descriptor at free-running index `index` as shared memory holds it (nothing checked).
    func descriptor(at index: UInt32) -> RingDescriptor {
        let entry = descriptors + Int(index & UInt32(capacity - 1)) * Self.descriptorSize
        return RingDescriptor(length: UInt32(littleEndian: entry.loadUnaligned(as: UInt32.self)),
                              value: UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                              bufferAddress: UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
                              bufferLength: UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
    }

    /// Publishes `index` as the producer index.
    func storeProducerIndex(_ index: UInt32) { producerWord.pointee = index.littleEndian }

    /// Publishes `index` as the consumer index.
    func storeConsumerIndex(_ index: UInt32) { consumerWord.pointee = index.littleEndian }

    // MARK: Consumer side

    /// The oldest entry, nil when empty; its bytes stay valid until `removeFront`.
    public var front: (bytes: UnsafeRawBufferPointer, descriptor: UInt32)? {
        let consumer = consumerIndex
        guard producerIndex != consumer else { return nil }
        return entry(at: consumer)
    }

    /// The entry at free-running index `index`, whatever the producer index says (a consumer that
    /// knows from elsewhere, a doorbell, that it was produced); its length is at most `slotSize`.
    func entry(at index: UInt32) -> (bytes: UnsafeRawBufferPointer, descriptor: UInt32) {
        let slot = Int(index & UInt32(capacity - 1))
        let entry = descriptors + slot * Self.descriptorSize
        let length = min(Int(UInt32(littleEndian: entry.loadUnaligned(as: UInt32.self))), slotSize)
        return (UnsafeRawBufferPointer(start: buffers + slot * slotSize, count: length),
                UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
    }

    /// Consumes the oldest entry (no-op when empty).
    public func removeFront() {
        guard producerIndex != consumerIndex else { return }
        advanceConsumer()
    }

    /// Consumes the entry at the consumer index without consulting the producer index (see `entry(at:)`).
    func advanceConsumer() { consumerWord.pointee = (consumerIndex &+ 1).littleEndian }

    /// Takes the oldest entry as a copy (allocates; for tests and tools).
    public func dequeueCopy() -> (bytes: [UInt8], descriptor: UInt32)? {
        guard let entry = front else { return nil }
        let copy = (Array(entry.bytes), entry.descriptor)
        removeFront()
        return copy
    }
}

/// One 16-byte descriptor as `DescriptorRing` lays it out in shared memory.
struct RingDescriptor {
    /// The frame's bytes (0 in a posted free buffer).
    var length: UInt32
    /// The NIC-computed hash or descriptor word, the exception reason, or the host's word.
    var value: UInt32
    /// Rings of descriptors only: the buffer's byte offset in the region, and its bytes.
    var bufferAddress: UInt32
    var bufferLength: UInt32
}
