/// Bookkeeping for one pooled frame buffer.
struct PooledFrame {
    enum State: UInt8 { case free, lent, queued }
    var state: State = .free
    var heldBack = false
    var flags: FrameFlags = []
    var segmentSize: UInt16 = 0
    var length = 0
    /// When the frame's last bit has left the emulated link.
    var departure: UInt64 = 0
    /// When the frame is handed on.
    var arrival: UInt64 = 0
}

/// A fixed set of frame buffers with per-buffer bookkeeping and a free list.
///
/// Contract: allocates everything in `init`; `take` returns nil when every buffer is in use.
/// Buffers are 64-byte aligned and `frameCapacity` bytes long.
final class FramePool {
    let capacity: Int
    let frameCapacity: Int
    let frames: UnsafeMutablePointer<PooledFrame>
    private let stride: Int
    private let bytes: UnsafeMutableRawPointer
    private let freeList: UnsafeMutablePointer<UInt32>
    private var freeCount: Int

    init(capacity: Int, frameCapacity: Int) {
        precondition(capacity > 0 && capacity <= Int(UInt32.max), "a frame pool needs 1 ... 2^32 - 1 buffers")
        self.capacity = capacity
        self.frameCapacity = frameCapacity
        stride = (frameCapacity + 63) / 64 * 64
        bytes = .allocate(byteCount: capacity * stride, alignment: 64)
        frames = .allocate(capacity: capacity)
        frames.initialize(repeating: PooledFrame(), count: capacity)
        freeList = .allocate(capacity: capacity)
        for position in 0..<capacity { freeList[position] = UInt32(capacity - 1 - position) }
        freeCount = capacity
    }

    deinit {
        bytes.deallocate()
        frames.deallocate()
        freeList.deallocate()
    }

    var freeBuffers: Int { freeCount }

    func take() -> UInt32? {
        guard freeCount > 0 else { return nil }
        freeCount &-= 1
        return freeList[freeCount]
    }

    func give(_ index: UInt32) {
        frames[Int(index)].state = .free
        freeList[freeCount] = index
        freeCount &+= 1
    }

    func buffer(_ index: UInt32) -> UnsafeMutableRawPointer { bytes + Int(index) &* stride }

    /// The index of the buffer that starts at `pointer`, or nil if `pointer` is not one of ours.
    func index(of pointer: UnsafeMutableRawPointer) -> UInt32? {
        let offset = pointer - bytes
        guard offset >= 0, offset < capacity &* stride, offset % stride == 0 else { return nil }
        return UInt32(offset / stride)
    }
}
