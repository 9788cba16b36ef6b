/// Per-frame facts a backend learned from the kernel or device, carried next to the bytes.
public struct FrameFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The L4 checksum field is only a partial (pseudo-header) sum; the sender left it to offload
    /// (AF_PACKET `TP_STATUS_CSUMNOTREADY`, virtio `NEEDS_CSUM`). The bytes are otherwise trusted local data.
    /// On transmit: asks a port whose `transmitChecksumOffload` is not `.none` to complete (or waive) it.
    @inlinable public static var checksumPartial: FrameFlags { FrameFlags(rawValue: 1 << 0) }
    /// The kernel or device already verified the L4 checksum (`TP_STATUS_CSUM_VALID`).
    @inlinable public static var checksumVerified: FrameFlags { FrameFlags(rawValue: 1 << 1) }
    /// The frame is a super-segment (GSO/GRO) larger than the MTU; `Frame.segmentSize` gives the MSS.
    @inlinable public static var superSegment: FrameFlags { FrameFlags(rawValue: 1 << 2) }
}

/// A view of one frame in memory the port owns (a ring slot or a pool buffer).
///
/// Contract: `bytes` points at `capacity` writable bytes of which the first `length` are the frame
/// (starting at the Ethernet header). A received frame's view is valid only until the port's
/// `releaseReceived` for its batch; a transmit slot's view only until `commitTransmit`.
public struct Frame {
    public var bytes: UnsafeMutableRawPointer
    public var length: Int
    public var capacity: Int
    public var flags: FrameFlags
    /// For super-segments: the segment size the sender would have cut at (0 when unknown or none).
    public var segmentSize: UInt16

    @inlinable
    public init(bytes: UnsafeMutableRawPointer, length: Int, capacity: Int, flags: FrameFlags = [], segmentSize: UInt16 = 0) {
        self.bytes = bytes
        self.length = length
        self.capacity = capacity
        self.flags = flags
        self.segmentSize = segmentSize
    }

    /// The frame's bytes as a read-only buffer.
    @inlinable
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: length) }
}

/// A reusable, preallocated array of frame views exchanged with a `Port`.
///
/// Contract: holds at most `capacity` frames; never allocates after `init`. A batch is used by one
/// thread at a time. Ports fill it (`receive`, `reserveTransmit`) and read it (`commitTransmit`).
public final class FrameBatch {
    public let capacity: Int
    public var count: Int = 0
    @usableFromInline let storage: UnsafeMutablePointer<Frame>

    public init(capacity: Int) {
        precondition(capacity > 0, "a frame batch needs room for at least one frame")
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    @inlinable public var isEmpty: Bool { count == 0 }
    @inlinable public var isFull: Bool { count == capacity }

    @inlinable
    public subscript(index: Int) -> Frame {
        get {
            precondition(index >= 0 && index < count, "frame index out of range")
            return storage[index]
        }
        set {
            precondition(index >= 0 && index < count, "frame index out of range")
            storage[index] = newValue
        }
    }

    /// Appends a frame view; the caller has checked `isFull`.
    @inlinable
    public func append(_ frame: Frame) {
        precondition(count < capacity, "frame batch is full")
        storage[count] = frame
        count += 1
    }

    @inlinable public func removeAll() { count = 0 }
}
