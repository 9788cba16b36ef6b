import FlexWire

/// Counters every port keeps. Drops are counted, never silent.
public struct PortStatistics: Sendable, Equatable {
    public var receivedFrames: UInt64 = 0
    public var receivedBytes: UInt64 = 0
    public var transmittedFrames: UInt64 = 0
    public var transmittedBytes: UInt64 = 0
    /// Frames that could not be sent (ring full, oversize, link error).
    public var transmitDrops: UInt64 = 0
    /// Frames lost on receive (kernel ring overflow, truncated frames).
    public var receiveDrops: UInt64 = 0
    /// System calls that asked the kernel to send queued frames (`sendto` kicks of a kernel-backed
    /// port; 0 for ports without a kernel behind their transmit ring).
    public var transmitKicks: UInt64 = 0
    public init() {}

    /// The counters of a port that transmits onto one frame ring and receives from another.
    public init(transmittingOn transmit: FrameRing, receivingFrom receive: FrameRing) {
        transmittedFrames = transmit.counter(at: FrameRingLayout.transmittedFramesOffset)
        transmittedBytes = transmit.counter(at: FrameRingLayout.transmittedBytesOffset)
        transmitDrops = transmit.counter(at: FrameRingLayout.transmitDropsOffset)
        receivedFrames = receive.counter(at: FrameRingLayout.receivedFramesOffset)
        receivedBytes = receive.counter(at: FrameRingLayout.receivedBytesOffset)
        receiveDrops = receive.counter(at: FrameRingLayout.receiveDropsOffset)
    }
}

/// A source and sink of Ethernet frames, moved in batches over preallocated memory.
///
/// Contract:
/// - `receive(into:)` never blocks; it appends up to `batch.capacity - batch.count` frames and
///   returns how many it appended. Their views stay valid until `releaseReceived(_:)` is called with
///   the same batch, which must happen before the next `receive` on this port.
/// - Transmit is zero-copy: `reserveTransmit(into:count:)` appends writable slots of
///   `maximumFrameLength` bytes (length 0); the caller writes frames and sets each `length`;
///   `commitTransmit(_:)` sends every slot with a non-zero length, gives back the rest, empties the
///   batch and returns how many frames it sent. Frames it could not send are counted in `transmitDrops`.
///   A caller may reserve again (e.g. one slot per frame it is about to write) before one commit;
///   both calls cost in proportion to the slots reserved, so reserve what you will write and commit
///   once per batch (one kernel kick per batch on kernel ports).
/// - Checksums: `transmitChecksumOffload` says what the port does with a transmitted frame marked
///   `.checksumPartial` (see `TransmitChecksumOffload`); unmarked frames leave exactly as written.
/// - `poll()` does time-driven work (a delaying middleware releasing frames that are due); cheap when idle.
/// - `waitForFrames(timeoutNanoseconds:)` blocks up to the timeout until a frame may be ready to receive
///   (spurious returns allowed; never misses a frame that arrived before or during the call).
/// - Readiness, for sleeping on the port together with other descriptors (poll(2)): when
///   `readinessDescriptor` is not nil, a thread that receives from the port may call
///   `armReadiness()`; if it returns true, the descriptor polls readable once a frame arrives that
///   was not waiting at that call, and the thread may sleep on it; it then calls
///   `disarmReadiness()` (which also resets a wake-up counter behind the descriptor). false means a
///   frame is already waiting: do not sleep (and do not disarm). A nil descriptor (the default)
///   means the port cannot say (virtual time, frames a middleware holds until a due time):
///   sleep with `waitForFrames` instead.
/// - `mayHaveFramesToReceive` is false only when `receive` would append nothing now, even after a
///   `poll()` (true, the default, when the port cannot tell cheaply): a caller with nothing else
///   to do may then skip its receive stage.
/// - No method allocates per frame.
public protocol Port: AnyObject {
    var macAddress: MACAddress { get }
    /// Largest frame, Ethernet header included, this port sends or accepts on its transmit side.
    var maximumFrameLength: Int { get }
    var statistics: PortStatistics { get }
    /// What the port does for transmitted frames marked `.checksumPartial`; `.none` by default.
    /// Fixed for the port's lifetime (senders read it once).
    var transmitChecksumOffload: TransmitChecksumOffload { get }

    func receive(into batch: FrameBatch) -> Int
    func releaseReceived(_ batch: FrameBatch)
    func reserveTransmit(into batch: FrameBatch, count: Int) -> Int
    func commitTransmit(_ batch: FrameBatch) -> Int
    func poll()
    func waitForFrames(timeoutNanoseconds: Int64) -> Bool
    var readinessDescriptor: Int32? { get }
    func armReadiness() -> Bool
    func disarmReadiness()
    var mayHaveFramesToReceive: Bool { get }
}

extension Port {
    /// No offload: a sender fills every checksum.
    public var transmitChecksumOffload: TransmitChecksumOffload { .none }
    /// No descriptor: sleep with `waitForFrames`.
    public var readinessDescriptor: Int32? { nil }
    public func armReadiness() -> Bool { true }
    public func disarmReadiness() {}
    /// Cannot tell: a frame may be there.
    public var mayHaveFramesToReceive: Bool { true }
}

extension Port {
    /// Sends one frame by copying `frame` into a transmit slot. Returns false if no slot was free
    /// or the frame is larger than `maximumFrameLength`. For tests and slow paths; batch on hot paths.
    public func transmit(copying frame: UnsafeRawBufferPointer, using batch: FrameBatch) -> Bool {
        precondition(batch.isEmpty, "transmit(copying:) needs an empty batch")
        guard frame.count <= maximumFrameLength, let base = frame.baseAddress,
              reserveTransmit(into: batch, count: 1) == 1 else { return false }
        var slot = batch[0]
        slot.bytes.copyMemory(from: base, byteCount: frame.count)
        slot.length = frame.count
        batch[0] = slot
        return commitTransmit(batch) == 1
    }

    /// Sends one frame given as bytes (allocates a temporary batch; for tests and tools only).
    public func transmit(_ frame: [UInt8]) -> Bool {
        let batch = FrameBatch(capacity: 1)
        return frame.withUnsafeBytes { transmit(copying: $0, using: batch) }
    }

    /// Receives whatever is ready and returns copies of the frames (allocates; tests and tools only).
    public func receiveCopies(maximum: Int = 64) -> [[UInt8]] {
        let batch = FrameBatch(capacity: maximum)
        let received = receive(into: batch)
        var copies: [[UInt8]] = []
        copies.reserveCapacity(received)
        for index in 0..<batch.count { copies.append(Array(batch[index].buffer)) }
        releaseReceived(batch)
        return copies
    }
}
