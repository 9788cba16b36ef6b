/// Bytes waiting to be sent on one connection: endpoints append whole PDUs, the transport sends from
/// `pending` and `consume`s what the socket or transmit ring took. A buffer of two regions: appends
/// go after the pending bytes, or — once the end of the storage is reached and the front has been
/// sent — to the front, after which `pending` is the older region until it is all sent. Nothing
/// pending is ever moved except when the storage grows.
public final class OutboundBuffer {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    /// The older region of pending bytes: `head ..< tail`.
    private var head = 0
    private var tail = 0
    /// The newer region, `0 ..< frontEnd`, once appends wrapped to the front (0: none).
    private var frontEnd = 0
    private var isWrapped = false

    public init(capacity: Int = 64 * 1024) {
        self.capacity = max(capacity, 256)
        storage = .allocate(byteCount: self.capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    /// The oldest contiguous bytes not yet sent (the older region; after it is consumed, the rest).
    public var pending: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + head, count: tail - head) }
    public var isEmpty: Bool { head == tail }
    /// Every byte not yet sent, in both regions.
    public var count: Int { tail - head + frontEnd }

    /// Drops the first `byteCount` bytes of `pending` (they were sent).
    public func consume(_ byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= tail - head, "OutboundBuffer.consume: more than pending")
        head += byteCount
        guard head == tail else { return }
        head = 0
        tail = frontEnd
        frontEnd = 0
        isWrapped = false
    }

    /// Appends `byteCount` bytes, their first `zeroed` bytes zeroed, and returns them for the caller to
    /// fill — every byte past `zeroed` (valid until the next append).
    func append(_ byteCount: Int, zeroed: Int) -> UnsafeMutableRawBufferPointer {
        let start: Int
        if isWrapped {
            if frontEnd + byteCount > head { grow(for: byteCount) }
            start = isWrapped ? frontEnd : tail
        } else if tail + byteCount <= capacity {
            start = tail
        } else if byteCount < head {
            isWrapped = true
            start = 0
        } else {
            grow(for: byteCount)
            start = tail
        }
        let space = UnsafeMutableRawBufferPointer(start: storage + start, count: byteCount)
        UnsafeMutableRawBufferPointer(rebasing: space[..<zeroed]).initializeMemory(as: UInt8.self, repeating: 0)
        if isWrapped { frontEnd = start + byteCount } else { tail = start + byteCount }
        return space
    }

    /// Moves both regions, oldest first, to the start of a storage with room for `byteCount` more.
    private func grow(for byteCount: Int) {
        let live = count
        var grown = capacity * 2
        while grown < live + byteCount { grown *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 64)
        bigger.copyMemory(from: storage + head, byteCount: tail - head)
        (bigger + (tail - head)).copyMemory(from: storage, byteCount: frontEnd)
        storage.deallocate()
        storage = bigger
        capacity = grown
        head = 0
        tail = live
        frontEnd = 0
        isWrapped = false
    }
}
