/// Bytes of a connection's payload ring, lent by a `Context`: received bytes (`ContextEvent.received`,
/// `Connection.unfreedBytes`) or send space (`Context.reserveSendSpace`). A collection of bytes,
/// stored as at most two pieces: from a ring position to at most the ring's end, then from the
/// ring's start when the span wraps.
///
/// Contract: a view, valid only as long as the operation that lent it says (received bytes until
/// they are freed with `freeReceivedBytes`; send space until the next `sendReserved`). The copy
/// methods copy as many bytes as both sides hold and return that count; they never write or read
/// outside either side.
public struct RingSpan: RandomAccessCollection {
    /// From the span's start to at most the ring's end.
    package let leadingPiece: UnsafeMutableRawBufferPointer
    /// From the ring's start, when the span wraps (else empty).
    package let trailingPiece: UnsafeMutableRawBufferPointer

    /// `count` bytes from `position` in the ring of `size` bytes at `base` (`position < size`, `count <= size`).
    init(base: UnsafeMutableRawPointer, size: Int, position: Int, count: Int) {
        let head = Swift.min(count, size - position)
        leadingPiece = UnsafeMutableRawBufferPointer(start: base + position, count: head)
        trailingPiece = UnsafeMutableRawBufferPointer(start: base, count: count - head)
    }

    /// No bytes.
    public static var empty: RingSpan { RingSpan() }

    private init() {
        leadingPiece = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        trailingPiece = leadingPiece
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { leadingPiece.count + trailingPiece.count }

    /// The byte at `position` (`0 ..< count`).
    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < endIndex, "RingSpan index out of range")
        return position < leadingPiece.count ? leadingPiece[position] : trailingPiece[position - leadingPiece.count]
    }

    /// Calls `body` with the span's bytes as its (at most) two contiguous pieces, in order; the second
    /// is empty unless the span wraps. The pointers are valid only inside `body`.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(leadingPiece), UnsafeRawBufferPointer(trailingPiece))
    }

    /// Copies the span's first bytes into `destination`; returns how many (the smaller count).
    @discardableResult
    public func copyBytes(to destination: UnsafeMutableRawBufferPointer) -> Int {
        let count = Swift.min(destination.count, self.count)
        guard count > 0, let target = destination.baseAddress else { return 0 }
        let head = Swift.min(count, leadingPiece.count)
        if head > 0, let source = leadingPiece.baseAddress { target.copyMemory(from: source, byteCount: head) }
        if head < count, let source = trailingPiece.baseAddress { (target + head).copyMemory(from: source, byteCount: count - head) }
        return count
    }

    /// Copies `source`'s first bytes into the span, starting `offset` bytes into it; returns how many
    /// (as many as fit after `offset`).
    @discardableResult
    public func copyBytes(from source: UnsafeRawBufferPointer, at offset: Int = 0) -> Int {
        guard offset >= 0, offset < count, let bytes = source.baseAddress else { return 0 }
        let count = Swift.min(source.count, self.count - offset)
        let head = Swift.max(0, Swift.min(count, leadingPiece.count - offset))
        if head > 0, let target = leadingPiece.baseAddress { (target + offset).copyMemory(from: bytes, byteCount: head) }
        if head < count, let target = trailingPiece.baseAddress {
            (target + (offset + head - leadingPiece.count)).copyMemory(from: bytes + head, byteCount: count - head)
        }
        return count
    }

    /// Copies `source`'s first bytes into the span, starting `offset` bytes into it; returns how many
    /// (as many as fit after `offset`). Contiguous collections are copied in one or two moves.
    @discardableResult
    public func copyBytes(from source: some Collection<UInt8>, at offset: Int = 0) -> Int {
        if let copied = source.withContiguousStorageIfAvailable({ copyBytes(from: UnsafeRawBufferPointer($0), at: offset) }) {
            return copied
        }
        guard offset >= 0, offset < count else { return 0 }
        var position = offset
        for byte in source {
            guard position < count else { break }
            if position < leadingPiece.count { leadingPiece[position] = byte } else { trailingPiece[position - leadingPiece.count] = byte }
            position += 1
        }
        return position - offset
    }

    /// Copies the span's first bytes into `target` (received bytes into send space, for an echo);
    /// returns how many (the smaller count).
    @discardableResult
    public func copyBytes(to target: RingSpan) -> Int {
        let head = target.copyBytes(from: UnsafeRawBufferPointer(leadingPiece))
        guard head == leadingPiece.count else { return head }
        return head + target.copyBytes(from: UnsafeRawBufferPointer(trailingPiece), at: head)
    }
}
