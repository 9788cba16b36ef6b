/// Bytes waiting to be sent on one connection: endpoints append whole PDUs, the transport sends from
/// `pending` and `consume`s what the socket or transmit ring took.
///
/// A transport with a transmit ring may `lend` its free space: while the buffer's own storage holds
/// nothing, each PDU that fits is written straight into that space (no copy afterwards); the
/// transport `takeLent`s how many bytes were written — they come before `pending` — sends them and
/// may lend again. A PDU that does not fit goes to the own storage, and so do all after it until
/// the storage is empty again (the order of PDUs is kept).
///
/// The own storage is a buffer of two regions: appends
/// go after the pending bytes, or — once the end of the storage is reached and the front has been
/// sent — to the front, after which `pending` is the older region until it is all sent. Nothing
/// pending is ever moved except when the storage grows.
///
/// A transport whose sends go on reading the bytes after the call (MSG_ZEROCOPY, an io_uring send in
/// flight) `hold`s them instead of consuming them: held bytes are no longer pending, but their memory
/// is neither reused nor freed (a storage that grows meanwhile is kept until nothing is held) until the
/// transport `release`s them, oldest first, or gives the newest back (`unhold`) when a send took fewer.
public final class OutboundBuffer {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    /// The older region of unreleased bytes: `head ..< tail`.
    private var head = 0
    private var tail = 0
    /// The newer region, `0 ..< frontEnd`, once appends wrapped to the front (0: none).
    private var frontEnd = 0
    private var isWrapped = false
    /// The first `held` unreleased bytes were handed to the transport, which still reads them.
    public private(set) var held = 0
    /// Storages replaced while bytes were held, freed once nothing is held.
    private var retired: [UnsafeMutableRawPointer] = []
    /// Transmit space the transport lent, and how many of its bytes appends filled.
    private var lent = PDUSpace.empty
    private var lentUsed = 0

    public init(capacity: Int = 64 * 1024) {
        self.capacity = max(capacity, 256)
        storage = .allocate(byteCount: self.capacity, alignment: 64)
    }

    deinit {
        storage.deallocate()
        for old in retired { old.deallocate() }
    }

    /// The oldest contiguous bytes not yet sent nor held (in the older region, else in the newer).
    public var pending: UnsafeRawBufferPointer {
        let older = tail - head
        if held < older { return UnsafeRawBufferPointer(start: storage + head + held, count: older - held) }
        return UnsafeRawBufferPointer(start: storage + (held - older), count: frontEnd - (held - older))
    }
    /// Nothing waits to be sent in the own storage (held bytes may still be in the transport's hands;
    /// bytes written into lent space are the transport's to take).
    public var isEmpty: Bool { count == 0 }
    /// Every byte of the own storage not yet sent, in both regions.
    public var count: Int { tail - head + frontEnd - held }

    /// Lends free transmit space, `first` then `second` in the order they are sent (a ring that wraps);
    /// valid until `takeLent`. Replaces space lent before (whose written bytes must have been taken).
    public func lend(_ first: UnsafeMutableRawBufferPointer, _ second: UnsafeMutableRawBufferPointer) {
        precondition(lentUsed == 0, "OutboundBuffer.lend: written lent bytes not taken")
        lent = PDUSpace(first, second)
    }

    /// Ends the lending; returns how many bytes at the start of the lent space hold PDUs, to be sent
    /// before `pending`.
    public func takeLent() -> Int {
        defer {
            lent = .empty
            lentUsed = 0
        }
        return lentUsed
    }

    /// Drops the first `byteCount` bytes of `pending` (they were sent); only while nothing is held.
    public func consume(_ byteCount: Int) {
        precondition(held == 0, "OutboundBuffer.consume: bytes are held")
        hold(byteCount)
        release(byteCount)
    }

    /// Hands the first `byteCount` bytes of `pending` to the transport, which still reads them.
    public func hold(_ byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= pending.count, "OutboundBuffer.hold: more than pending")
        held += byteCount
    }

    /// Makes the newest `byteCount` held bytes pending again (a send took fewer than it was given).
    public func unhold(_ byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= held, "OutboundBuffer.unhold: more than held")
        held -= byteCount
    }

    /// Frees the oldest `byteCount` held bytes (the transport is done with them).
    public func release(_ byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= held, "OutboundBuffer.release: more than held")
        held -= byteCount
        let older = tail - head
        if byteCount < older {
            head += byteCount
        } else {
            head = byteCount - older
            tail = frontEnd
            frontEnd = 0
            isWrapped = false
            if head == tail { head = 0; tail = 0 }
        }
        if held == 0 && !retired.isEmpty {
            for old in retired { old.deallocate() }
            retired.removeAll(keepingCapacity: true)
        }
    }

    /// Appends `byteCount` bytes and returns them for the caller to fill (lent space, or the own
    /// storage's, valid until the next append).
    func append(_ byteCount: Int) -> PDUSpace {
        if lentUsed + byteCount <= lent.count && tail == head && frontEnd == 0 {
            defer { lentUsed += byteCount }
            return lent.slice(lentUsed..<(lentUsed + byteCount))
        }
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
        if isWrapped { frontEnd = start + byteCount } else { tail = start + byteCount }
        return PDUSpace(UnsafeMutableRawBufferPointer(start: storage + start, count: byteCount))
    }

    /// Moves both regions (held bytes too), oldest first, to the start of a storage with room for
    /// `byteCount` more; the old storage is kept while bytes are held.
    private func grow(for byteCount: Int) {
        let live = tail - head + frontEnd
        var grown = capacity * 2
        while grown < live + byteCount { grown *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 64)
        bigger.copyMemory(from: storage + head, byteCount: tail - head)
        (bigger + (tail - head)).copyMemory(from: storage, byteCount: frontEnd)
        if held > 0 { retired.append(storage) } else { storage.deallocate() }
        storage = bigger
        capacity = grown
        head = 0
        tail = live
        frontEnd = 0
        isWrapped = false
    }
}
