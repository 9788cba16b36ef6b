import Atomics

/// Why a memory region does not hold a usable frame ring.
public enum FrameRingError: Error, Equatable {
    case misalignedBase
    case regionTooSmall(needed: Int, available: Int)
    case badMagic(UInt32)
    case unsupportedVersion(UInt32)
    case badGeometry(slotCount: Int, slotStride: Int, frameCapacity: Int)
}

/// A process-local view of one frame ring laid out as `FrameRingLayout` describes, in memory the
/// caller owns (heap memory in one process or a shared mapping between two).
///
/// Contract: the view holds only the ring's base address and a validated copy of its geometry; it
/// neither owns nor frees the memory, which must outlive every view of it. A view is created either by
/// `format`, which lays out a new empty ring, or by `init(attachingTo:regionLength:)`, which checks
/// a ring that another party formatted. All accessors are unchecked beyond that validation.
public struct FrameRing {
    public let base: UnsafeMutableRawPointer
    public let slotCount: Int
    public let slotStride: Int
    public let frameCapacity: Int
    @usableFromInline let indexMask: UInt64

    /// Lays out an empty ring of `slotCount` slots (a power of two) for frames up to `frameCapacity`
    /// bytes at `base`, which must be 64-byte aligned with `FrameRingLayout.ringSize` bytes available.
    public static func format(at base: UnsafeMutableRawPointer, regionLength: Int, slotCount: Int, frameCapacity: Int) throws(FrameRingError) -> FrameRing {
        let stride = FrameRingLayout.slotStride(frameCapacity: frameCapacity)
        try validate(base: base, regionLength: regionLength, slotCount: slotCount, slotStride: stride, frameCapacity: frameCapacity)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: FrameRingLayout.headerSize)
        base.storeBytes(of: FrameRingLayout.magic, toByteOffset: FrameRingLayout.magicOffset, as: UInt32.self)
        base.storeBytes(of: FrameRingLayout.version, toByteOffset: FrameRingLayout.versionOffset, as: UInt32.self)
        base.storeBytes(of: UInt32(slotCount), toByteOffset: FrameRingLayout.slotCountOffset, as: UInt32.self)
        base.storeBytes(of: UInt32(stride), toByteOffset: FrameRingLayout.slotStrideOffset, as: UInt32.self)
        base.storeBytes(of: UInt32(frameCapacity), toByteOffset: FrameRingLayout.frameCapacityOffset, as: UInt32.self)
        for offset in [FrameRingLayout.producerIndexOffset, FrameRingLayout.transmittedFramesOffset,
                       FrameRingLayout.transmittedBytesOffset, FrameRingLayout.transmitDropsOffset,
                       FrameRingLayout.consumerIndexOffset, FrameRingLayout.armedOffset,
                       FrameRingLayout.receivedFramesOffset, FrameRingLayout.receivedBytesOffset,
                       FrameRingLayout.receiveDropsOffset] {
            (base + offset).initializeMemory(as: UInt64.AtomicRepresentation.self, to: UInt64.AtomicRepresentation(0))
        }
        return FrameRing(base: base, slotCount: slotCount, slotStride: stride, frameCapacity: frameCapacity)
    }

    /// Checks the ring another party formatted at `base` (magic, version, geometry against
    /// `regionLength`) and returns a view of it.
    public init(attachingTo base: UnsafeMutableRawPointer, regionLength: Int) throws(FrameRingError) {
        guard regionLength >= FrameRingLayout.headerSize else {
            throw .regionTooSmall(needed: FrameRingLayout.headerSize, available: regionLength)
        }
        let magic = base.load(fromByteOffset: FrameRingLayout.magicOffset, as: UInt32.self)
        guard magic == FrameRingLayout.magic else { throw .badMagic(magic) }
        let version = base.load(fromByteOffset: FrameRingLayout.versionOffset, as: UInt32.self)
        guard version == FrameRingLayout.version else { throw .unsupportedVersion(version) }
        let slotCount = Int(base.load(fromByteOffset: FrameRingLayout.slotCountOffset, as: UInt32.self))
        let stride = Int(base.load(fromByteOffset: FrameRingLayout.slotStrideOffset, as: UInt32.self))
        let capacity = Int(base.load(fromByteOffset: FrameRingLayout.frameCapacityOffset, as: UInt32.self))
        try FrameRing.validate(base: base, regionLength: regionLength, slotCount: slotCount, slotStride: stride, frameCapacity: capacity)
        self.init(base: base, slotCount: slotCount, slotStride: stride, frameCapacity: capacity)
    }

    private init(base: UnsafeMutableRawPointer, slotCount: Int, slotStride: Int, frameCapacity: Int) {
        self.base = base
        self.slotCount = slotCount
        self.slotStride = slotStride
        self.frameCapacity = frameCapacity
        indexMask = UInt64(slotCount - 1)
    }

    private static func validate(base: UnsafeMutableRawPointer, regionLength: Int, slotCount: Int, slotStride: Int, frameCapacity: Int) throws(FrameRingError) {
        guard Int(bitPattern: base) % FrameRingLayout.alignment == 0 else { throw .misalignedBase }
        let sane = slotCount >= 2 && slotCount <= FrameRingLayout.maximumSlotCount && slotCount & (slotCount - 1) == 0
            && frameCapacity >= 1 && frameCapacity <= FrameRingLayout.maximumFrameCapacity
            && slotStride % FrameRingLayout.alignment == 0 && slotStride >= FrameRingLayout.slotHeaderSize + frameCapacity
            && slotStride <= FrameRingLayout.slotStride(frameCapacity: FrameRingLayout.maximumFrameCapacity)
        guard sane else { throw .badGeometry(slotCount: slotCount, slotStride: slotStride, frameCapacity: frameCapacity) }
        let needed = FrameRingLayout.headerSize + slotCount * slotStride
        guard regionLength >= needed else { throw .regionTooSmall(needed: needed, available: regionLength) }
    }

    /// The 64-bit atomic field at `offset` in the ring header.
    @inlinable
    public func atomic(at offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    @inlinable public var producerIndex: UnsafeAtomic<UInt64> { atomic(at: FrameRingLayout.producerIndexOffset) }
    @inlinable public var consumerIndex: UnsafeAtomic<UInt64> { atomic(at: FrameRingLayout.consumerIndexOffset) }
    @inlinable public var armed: UnsafeAtomic<UInt64> { atomic(at: FrameRingLayout.armedOffset) }

    /// Adds to a statistics counter. Only the side that owns the counter's cache line may call this.
    @inlinable
    public func add(_ amount: UInt64, toCounterAt offset: Int) {
        let counter = atomic(at: offset)
        counter.store(counter.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    @inlinable
    public func counter(at offset: Int) -> UInt64 { atomic(at: offset).load(ordering: .relaxed) }

    /// The start of the slot that free-running index `index` maps to.
    @inlinable
    public func slot(_ index: UInt64) -> UnsafeMutableRawPointer {
        base + FrameRingLayout.headerSize + Int(truncatingIfNeeded: index & indexMask) &* slotStride
    }

    /// The frame bytes of the slot that `index` maps to.
    @inlinable
    public func frameBytes(_ index: UInt64) -> UnsafeMutableRawPointer {
        slot(index) + FrameRingLayout.slotHeaderSize
    }
}
