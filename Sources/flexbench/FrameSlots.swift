/// A few frame buffers in one 64-byte-aligned allocation, visited in turn by the frame benchmarks, so
/// that each iteration works on another address (the optimiser cannot hoist the work out of the loop)
/// while all of them stay in the L1 cache, like the recent slots of a ring.
///
/// Contract: `count` slots of `stride` bytes (a multiple of 64), slot `index` at `base + index * stride`,
/// zero-filled unless given frames; `next(after:)` cycles 0 ..< count. Freed with the last reference.
final class FrameSlots {
    static let count = 7
    let stride: Int
    let base: UnsafeMutableRawPointer

    /// Slots of at least `capacity` bytes each.
    init(capacity: Int) {
        stride = (capacity + 63) & ~63
        base = .allocate(byteCount: stride * Self.count, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: stride * Self.count)
    }

    /// Slots holding `frames` (at most `count`), each at its slot's start.
    convenience init(frames: [[UInt8]]) {
        precondition(frames.count <= Self.count, "more frames than slots")
        self.init(capacity: frames.map(\.count).max() ?? 0)
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes { slot(index).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    deinit { base.deallocate() }

    func slot(_ index: Int) -> UnsafeMutableRawPointer { base + index &* stride }

    /// The slot after `index`. A wrap-around rather than a mask: a count of 7 keeps the visiting
    /// order opaque to loop unrolling.
    @inline(__always)
    static func next(after index: Int) -> Int {
        index == count &- 1 ? 0 : index &+ 1
    }
}
