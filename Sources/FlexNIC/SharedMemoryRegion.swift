/// The memory the host and the NIC share (dissertation §3.3, "host interface"): one zeroed,
/// cache-line-aligned allocation from which descriptor rings and their linear buffers are carved.
/// Both sides address it by byte offset, as a device addresses host memory by bus address.
///
/// Contract: `carve` hands out disjoint, 64-byte-aligned ranges in order and never reuses them; the
/// region lives as long as any ring carved from it. Not thread-safe (one thread runs the model).
public final class SharedMemoryRegion {
    public let base: UnsafeMutableRawPointer
    public let size: Int
    /// Bytes handed out so far.
    public private(set) var used = 0
    static let alignment = 64

    /// A region of `size` bytes, all zero.
    public init(size: Int) {
        precondition(size > 0, "a region needs room")
        self.size = size
        base = .allocate(byteCount: size, alignment: Self.alignment)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    }

    deinit { base.deallocate() }

    /// Reserves `byteCount` bytes; returns their offset, nil when the region has no room left.
    func carve(byteCount: Int) -> Int? {
        let start = (used + Self.alignment - 1) & ~(Self.alignment - 1)
        guard byteCount >= 0, start <= size, byteCount <= size - start else { return nil }
        used = start + byteCount
        return start
    }
}
