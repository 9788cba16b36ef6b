/// Arithmetic and copies for one circular payload ring (a flow's receive or transmit buffer).
///
/// Contract: `base` points at `size` bytes (size > 0); positions are in `0..<size` and every copy
/// wraps at the end. Copies of more than `size` bytes are a programming error (callers clamp first).
@usableFromInline
struct PayloadRing {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let size: UInt32

    @inlinable
    init(base: UnsafeMutableRawPointer, size: UInt32) {
        self.base = base
        self.size = size
    }

    /// The position `distance` bytes after `position` in a ring of `size` bytes (`distance <= size`).
    @inlinable
    static func advance(_ position: UInt32, by distance: UInt32, size: UInt32) -> UInt32 {
        let sum = UInt64(position) &+ UInt64(distance)
        return UInt32(truncatingIfNeeded: sum >= UInt64(size) ? sum &- UInt64(size) : sum)
    }

    /// Copies `count` bytes from `source` into the ring starting at `position`.
    @inlinable
    func write(_ source: UnsafeRawPointer, count: UInt32, at position: UInt32) {
        let first = min(count, size &- position)
        (base + Int(position)).copyMemory(from: source, byteCount: Int(first))
        if first < count { base.copyMemory(from: source + Int(first), byteCount: Int(count &- first)) }
    }

    /// Lends `body` the `count` bytes starting at `position` where they lie: one piece, or two
    /// where the ring wraps. The bytes are valid only during the call.
    @inlinable
    func lend(count: UInt32, at position: UInt32, _ body: (UnsafeRawBufferPointer) -> Void) {
        let first = min(count, size &- position)
        body(UnsafeRawBufferPointer(start: base + Int(position), count: Int(first)))
        if first < count { body(UnsafeRawBufferPointer(start: base, count: Int(count &- first))) }
    }

    /// Copies `count` bytes out of the ring starting at `position` into `destination`.
    @inlinable
    func read(into destination: UnsafeMutableRawPointer, count: UInt32, at position: UInt32) {
        let first = min(count, size &- position)
        destination.copyMemory(from: base + Int(position), byteCount: Int(first))
        if first < count { (destination + Int(first)).copyMemory(from: base, byteCount: Int(count &- first)) }
    }
}
