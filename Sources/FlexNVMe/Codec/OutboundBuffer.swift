/// Bytes waiting to be sent on one connection: endpoints append whole PDUs, the transport sends from
/// `pending` and `consume`s what the socket or transmit ring took. Grows as needed; space is reused
/// once everything pending has been sent.
public final class OutboundBuffer {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var head = 0
    private var tail = 0

    public init(capacity: Int = 64 * 1024) {
        self.capacity = max(capacity, 256)
        storage = .allocate(byteCount: self.capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    /// The bytes not yet sent, oldest first.
    public var pending: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + head, count: tail - head) }
    public var isEmpty: Bool { head == tail }
    public var count: Int { tail - head }

    /// Drops the first `byteCount` pending bytes (they were sent).
    public func consume(_ byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= tail - head, "OutboundBuffer.consume: more than pending")
        head += byteCount
        if head == tail { head = 0; tail = 0 }
    }

    /// Appends `byteCount` bytes, their first `zeroed` bytes zeroed, and returns them for the caller to
    /// fill — every byte past `zeroed` (valid until the next append).
    func append(_ byteCount: Int, zeroed: Int) -> UnsafeMutableRawBufferPointer {
        if tail + byteCount > capacity { makeRoom(for: byteCount) }
        let space = UnsafeMutableRawBufferPointer(start: storage + tail, count: byteCount)
        UnsafeMutableRawBufferPointer(rebasing: space[..<zeroed]).initializeMemory(as: UInt8.self, repeating: 0)
        tail += byteCount
        return space
    }

    private func makeRoom(for byteCount: Int) {
        let live = tail - head
        if live + byteCount <= capacity / 2 {
            storage.copyMemory(from: storage + head, byteCount: live)
        } else {
            var grown = capacity * 2
            while grown < live + byteCount { grown *= 2 }
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 64)
            bigger.copyMemory(from: storage + head, byteCount: live)
            storage.deallocate()
            storage = bigger
            capacity = grown
        }
        head = 0
        tail = live
    }
}
