/// What a `NICPort` did with the frames it saw. Every frame not passed on is counted here.
public struct NICPortStatistics: Sendable, Equatable {
    /// Received frames the receive program passed to the host stack.
    public var passed: UInt64 = 0
    /// Received frames delivered into each software queue.
    public var delivered: [UInt64]
    /// Frames dropped by a program, by reason code.
    public var droppedByReason: [UInt64] = Array(repeating: 0, count: 256)
    /// Frames diverted to the exception queue, by reason code (255: parse error).
    public var exceptionsByReason: [UInt64] = Array(repeating: 0, count: 256)
    /// Frames dropped because their queue's completion ring was full (network back-pressure: drop and count).
    public var queueFullDrops: UInt64 = 0
    /// Frames dropped because the host had posted no (usable) buffer on their queue (back-pressure).
    public var noBufferDrops: UInt64 = 0
    /// Frames longer than their queue's next posted buffer (the buffer stays posted).
    public var bufferTooSmallDrops: UInt64 = 0
    /// Frames dropped because the host moved a ring index of their queue beyond its ring.
    public var ringIndexDrops: UInt64 = 0
    /// Exceptions dropped because the exception queue was full.
    public var exceptionQueueFullDrops: UInt64 = 0
    /// Frames a program sent to a queue that does not exist.
    public var unknownQueueDrops: UInt64 = 0
    /// Passed frames that found the caller's receive batch full.
    public var hostBatchFullDrops: UInt64 = 0
    public var repliesSent: UInt64 = 0
    /// Replies that found no transmit slot.
    public var replyDrops: UInt64 = 0
    public var dmaCompleted: UInt64 = 0
    /// DMA requests outside the packet or the host memory.
    public var dmaRejected: UInt64 = 0
    /// Frames the transmit program dropped or diverted (counted above by reason too).
    public var transmitWithheld: UInt64 = 0
    /// Replies a transmit program asked for, which are not sent (replies belong to the receive side).
    public var transmitRepliesIgnored: UInt64 = 0

    public init(queueCount: Int) { delivered = Array(repeating: 0, count: queueCount) }

    /// All frames dropped for any reason.
    public var totalDrops: UInt64 {
        droppedByReason.reduce(0, +) + queueFullDrops + noBufferDrops + bufferTooSmallDrops + ringIndexDrops + exceptionQueueFullDrops
            + unknownQueueDrops + replyDrops + hostBatchFullDrops
    }
}
