/// How a `LinkEmulator` impairs the frames sent through it. The defaults impair nothing.
///
/// Contract: probabilities are per frame, in [0, 1]; times are nanoseconds of the emulator's
/// `TimeSource`; a rate of 0 means no rate limit (and so no queue builds up).
public struct LinkEmulatorSettings: Sendable {
    /// Link rate; each frame occupies the link for length × 8 / rate (no preamble or gap is added).
    public var rateBitsPerSecond: UInt64 = 0
    /// Time from the end of a frame's serialization to its delivery.
    public var propagationDelayNanoseconds: UInt64 = 0
    /// Random loss, drawn when a frame is committed.
    public var dropProbability: Double = 0
    /// A reordered frame is held back `reorderHoldNanoseconds` beyond its delivery time, so frames
    /// sent shortly after it overtake it.
    public var reorderProbability: Double = 0
    public var reorderHoldNanoseconds: UInt64 = 100_000
    /// A duplicated frame is followed on the link by an identical copy.
    public var duplicateProbability: Double = 0
    /// A corrupted frame has one random bit flipped (checksums are left as they were).
    public var corruptProbability: Double = 0
    /// Drop-tail: a frame that finds this many frames waiting for (or in) serialization is dropped.
    public var queueLimit: Int = 1000
    /// The DCTCP switch model: an IPv4 frame that is ECT(0) or ECT(1) and finds more than this many
    /// frames queued is marked CE (its header checksum kept valid). nil: no marking.
    public var ecnMarkingThreshold: Int? = nil
    /// Frame buffers the emulator owns: frames lent for transmit, queued, in propagation or held back
    /// all occupy one. When all are in use, `reserveTransmit` hands out fewer slots.
    public var poolCapacity: Int = 8192
    /// Seed of the random source behind every probabilistic effect.
    public var seed: UInt64 = 1

    public init() {}
}

/// What a `LinkEmulator` did to the frames committed to it. Every frame committed with a valid
/// length is counted as dropped by loss or queue, or is still in the emulator, or was handed to the
/// wrapped port (counted as delivered unless that port dropped it).
public struct LinkEmulatorStatistics: Sendable, Equatable {
    public var droppedByLoss: UInt64 = 0
    public var droppedByQueue: UInt64 = 0
    /// Frames with a length outside 1 ... maximumFrameLength, or that found no free buffer to be copied into.
    public var rejected: UInt64 = 0
    /// ECT frames changed to CE.
    public var marked: UInt64 = 0
    public var reordered: UInt64 = 0
    /// Extra copies put on the link.
    public var duplicated: UInt64 = 0
    public var corrupted: UInt64 = 0
    /// Frames (copies included) the wrapped port accepted.
    public var delivered: UInt64 = 0
    /// The most frames that waited for, or were in, serialization at once (the queue's high-water mark).
    public var maximumQueuedFrames: Int = 0
    public init() {}
}
