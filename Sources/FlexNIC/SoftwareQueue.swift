/// A bounded queue of frames in preallocated memory that the host reads: the model of a descriptor
/// queue with its linear buffers. Each entry holds a copy of the frame and a 32-bit descriptor value
/// the NIC wrote (e.g. a relayed hash).
///
/// Contract: `capacity` entries of at most `slotSize` bytes; `enqueue` refuses (returns false) when
/// full or when the frame is too long, and never allocates; a frame read through `front` is valid
/// until `removeFront`. One producer and one consumer on the same thread.
public final class SoftwareQueue {
    public let capacity: Int
    public let slotSize: Int
    private let storage: UnsafeMutableRawPointer
    private let lengths: UnsafeMutablePointer<Int>
    private let descriptors: UnsafeMutablePointer<UInt32>
    private var head = 0
    public private(set) var count = 0

    public init(capacity: Int, slotSize: Int = 2_048) {
        precondition(capacity > 0 && slotSize > 0, "a queue needs room")
        self.capacity = capacity
        self.slotSize = slotSize
        storage = .allocate(byteCount: capacity * slotSize, alignment: 64)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        descriptors = .allocate(capacity: capacity)
        descriptors.initialize(repeating: 0, count: capacity)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        descriptors.deallocate()
    }

    public var freeCount: Int { capacity - count }
    public var isEmpty: Bool { count == 0 }

    /// Copies `length` bytes at `bytes` in as the newest entry; false when full or too long.
    public func enqueue(_ bytes: UnsafeRawPointer, length: Int, descriptor: UInt32) -> Bool {
        guard count < capacity, length >= 0, length <= slotSize else { return false }
        let index = (head + count) % capacity
        (storage + index * slotSize).copyMemory(from: bytes, byteCount: length)
        lengths[index] = length
        descriptors[index] = descriptor
        count += 1
        return true
    }

    /// The oldest entry, nil when empty.
    public var front: (bytes: UnsafeRawBufferPointer, descriptor: UInt32)? {
        guard count > 0 else { return nil }
        return (UnsafeRawBufferPointer(start: storage + head * slotSize, count: lengths[head]), descriptors[head])
    }

    /// Drops the oldest entry (no-op when empty).
    public func removeFront() {
        guard count > 0 else { return }
        head = (head + 1) % capacity
        count -= 1
    }

    /// Takes the oldest entry as a copy (allocates; for tests and tools).
    public func dequeueCopy() -> (bytes: [UInt8], descriptor: UInt32)? {
        guard let entry = front else { return nil }
        let copy = (Array(entry.bytes), entry.descriptor)
        removeFront()
        return copy
    }
}
