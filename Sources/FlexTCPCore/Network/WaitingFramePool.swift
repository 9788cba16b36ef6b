/// A first-in first-out list of frames in a `WaitingFramePool`; empty by default.
struct WaitingList {
    fileprivate var head: Int32 = -1
    fileprivate var tail: Int32 = -1
    fileprivate(set) var count = 0
}

/// Frame buffers allocated up front, lent to `WaitingList`s of frames that wait for an address
/// resolution.
///
/// Contract: holds at most `capacity` frames of up to `frameCapacity` bytes in total; never
/// allocates after `init`. A list must only be used with the pool that filled it. One thread.
final class WaitingFramePool {
    let capacity: Int
    let frameCapacity: Int
    private let storage: UnsafeMutableRawPointer
    private var lengths: [Int]
    /// The next buffer in the same list, or in the free list.
    private var successors: [Int32]
    private var freeHead: Int32

    init(capacity: Int, frameCapacity: Int) {
        precondition(capacity >= 0 && frameCapacity > 0, "invalid waiting frame pool size")
        self.capacity = capacity
        self.frameCapacity = frameCapacity
        storage = .allocate(byteCount: max(1, capacity * frameCapacity), alignment: 64)
        lengths = Array(repeating: 0, count: capacity)
        successors = (0..<capacity).map { $0 + 1 < capacity ? Int32($0 + 1) : -1 }
        freeHead = capacity > 0 ? 0 : -1
    }

    deinit { storage.deallocate() }

    /// Copies `frame` to the end of `list`; false when no buffer is free or the frame is too long.
    func append(_ frame: UnsafeRawBufferPointer, to list: inout WaitingList) -> Bool {
        guard freeHead >= 0, frame.count <= frameCapacity, let source = frame.baseAddress else { return false }
        let index = Int(freeHead)
        freeHead = successors[index]
        buffer(index).copyMemory(from: source, byteCount: frame.count)
        lengths[index] = frame.count
        successors[index] = -1
        if list.tail >= 0 { successors[Int(list.tail)] = Int32(index) } else { list.head = Int32(index) }
        list.tail = Int32(index)
        list.count += 1
        return true
    }

    /// The first frame of `list`, valid until the list or the pool next changes; nil when empty.
    func first(of list: WaitingList) -> UnsafeRawBufferPointer? {
        guard list.head >= 0 else { return nil }
        let index = Int(list.head)
        return UnsafeRawBufferPointer(start: buffer(index), count: lengths[index])
    }

    /// Gives the first frame of `list` back to the pool.
    func removeFirst(from list: inout WaitingList) {
        guard list.head >= 0 else { return }
        let index = Int(list.head)
        list.head = successors[index]
        if list.head < 0 { list.tail = -1 }
        successors[index] = freeHead
        freeHead = Int32(index)
        list.count -= 1
    }

    /// Gives every frame of `list` back; returns how many there were.
    func removeAll(from list: inout WaitingList) -> Int {
        let removed = list.count
        while list.count > 0 { removeFirst(from: &list) }
        return removed
    }

    private func buffer(_ index: Int) -> UnsafeMutableRawPointer { storage + index * frameCapacity }
}
