/// Bytes a session has produced and the transport has not yet sent: a fixed-capacity FIFO whose
/// waiting bytes are always one contiguous span.
///
/// Contract: `reserve(_:)` hands out room at the tail (moving the waiting bytes to the front when
/// the tail is short), `commit(_:)` publishes what was written there, `pending` is what to send
/// next and `consume(_:)` drops bytes the transport sent. Memory is allocated once, in `init`.
final class OutputBuffer {
    let capacity: Int
    private let storage: UnsafeMutableRawPointer
    private var start = 0
    private var end = 0

    init(capacity: Int, fill: UInt8 = 0xa5) {
        self.capacity = capacity
        storage = .allocate(byteCount: max(capacity, 1), alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: fill, count: max(capacity, 1))
    }

    deinit { storage.deallocate() }

    var count: Int { end - start }
    var freeSpace: Int { capacity - count }
    var isEmpty: Bool { start == end }

    /// The bytes waiting to be sent, oldest first.
    var pending: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + start, count: end - start) }

    /// Room for `count` more bytes at the tail (`count` ≤ `freeSpace`).
    func reserve(_ count: Int) -> UnsafeMutableRawPointer {
        precondition(count <= freeSpace, "output buffer overflow")
        if capacity - end < count {
            let waiting = end - start
            if waiting > 0 { (storage).copyMemory(from: storage + start, byteCount: waiting) }
            start = 0
            end = waiting
        }
        return storage + end
    }

    /// Publishes `count` bytes written at the pointer `reserve` returned.
    func commit(_ count: Int) { end += count }

    /// Forgets the first `count` pending bytes (the transport sent them).
    func consume(_ count: Int) {
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }
}
