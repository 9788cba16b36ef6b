/// Bytes of a connection's payload ring as at most two pieces: `first` from a ring position to at
/// most the ring's end, `second` from the ring's start when the span wraps (else empty).
///
/// Contract: a view, valid only as long as the operation that produced it says (a received span
/// until its bytes are freed with `rxFree`; a transmit span until the next `txSend`).
public struct RingSpan {
    public let first: UnsafeMutableRawBufferPointer
    public let second: UnsafeMutableRawBufferPointer

    /// `count` bytes from `position` in the ring of `size` bytes at `base` (`position < size`, `count <= size`).
    init(base: UnsafeMutableRawPointer, size: Int, position: Int, count: Int) {
        let head = min(count, size - position)
        first = UnsafeMutableRawBufferPointer(start: base + position, count: head)
        second = UnsafeMutableRawBufferPointer(start: base, count: count - head)
    }

    /// No bytes.
    public static var empty: RingSpan { RingSpan() }

    private init() {
        first = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        second = first
    }

    public var count: Int { first.count + second.count }

    /// Copies the span's first `count` bytes (`count <= self.count`) to `destination`.
    public func copyBytes(to destination: UnsafeMutableRawPointer, count: Int) {
        let head = min(count, first.count)
        if head > 0, let source = first.baseAddress { destination.copyMemory(from: source, byteCount: head) }
        if head < count, let source = second.baseAddress { (destination + head).copyMemory(from: source, byteCount: count - head) }
    }

    /// Copies `count` bytes of `source` into the span, starting `offset` bytes into it
    /// (`offset + count <= self.count`).
    public func copyBytes(from source: UnsafeRawPointer, count: Int, at offset: Int = 0) {
        let head = max(0, min(count, first.count - offset))
        if head > 0, let target = first.baseAddress { (target + offset).copyMemory(from: source, byteCount: head) }
        if head < count, let target = second.baseAddress {
            (target + (offset + head - first.count)).copyMemory(from: source + head, byteCount: count - head)
        }
    }

    /// Copies the span's first `count` bytes into `target` (`count` at most both spans' counts).
    public func copyBytes(to target: RingSpan, count: Int) {
        let head = min(count, first.count)
        if head > 0, let source = first.baseAddress { target.copyBytes(from: source, count: head) }
        if head < count, let source = second.baseAddress { target.copyBytes(from: source, count: count - head, at: head) }
    }
}
