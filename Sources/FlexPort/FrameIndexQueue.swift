/// A first-in first-out queue of frame-pool indices in preallocated storage.
///
/// Contract: holds at most `capacity` indices; `append` on a full queue is a programming error.
/// Never allocates after `init`.
final class FrameIndexQueue {
    private let storage: UnsafeMutablePointer<UInt32>
    private let mask: Int
    private var head = 0
    private var tail = 0

    init(capacity: Int) {
        let rounded = max(1, 1 << (Int.bitWidth - (max(capacity, 1) - 1).leadingZeroBitCount))
        storage = .allocate(capacity: rounded)
        mask = rounded - 1
    }

    deinit { storage.deallocate() }

    var count: Int { tail &- head }
    var isEmpty: Bool { head == tail }
    /// The oldest index; the queue must not be empty.
    var first: UInt32 { storage[head & mask] }

    func append(_ index: UInt32) {
        precondition(count <= mask, "frame index queue overflow")
        storage[tail & mask] = index
        tail &+= 1
    }

    func removeFirst() -> UInt32 {
        let index = storage[head & mask]
        head &+= 1
        return index
    }
}
