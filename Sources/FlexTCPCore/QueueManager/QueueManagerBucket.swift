/// One flow's state in the queue manager: its rate, the bytes it may send, when it may send next,
/// and its links in whichever queue holds it.
///
/// Contract: plain data owned by `QueueManager`. `list` names the queue the flow is linked into
/// (a timing-wheel slot position, the FIFO of unlimited flows, or `FlowList.unlinked`); a flow is
/// linked exactly when it has bytes available and is neither blocked nor handed out.
struct QueueManagerBucket {
    var availableBytes: UInt64 = 0
    /// Earliest time (ns) of the next send; only meaningful for rate-limited flows.
    var nextSendTime: UInt64 = 0
    var bytesPerSecond: UInt64 = QueueManager.unlimitedRate
    /// Nanoseconds per byte ×2^16; 0 for an unlimited flow.
    var scaledNanosecondsPerByte: UInt64 = 0
    var next: FlowIndex = FlowList.end
    var previous: FlowIndex = FlowList.end
    var list: UInt16 = FlowList.unlinked
    /// Sub-nanosecond remainder of the pacing intervals charged so far (2^-16 ns units).
    var pacingFraction: UInt16 = 0
    /// True between `nextTransmission` handing the flow out and `completeTransmission`.
    var isGranted = false

    var isRateLimited: Bool { scaledNanosecondsPerByte != 0 }
}

/// The two ends of an intrusive doubly linked list of flows threaded through the buckets'
/// `next`/`previous` fields.
///
/// Contract: `FlowList.end` marks "no flow" in `head`, `tail` and the links.
struct FlowList {
    static let end = FlowIndex.max
    static let unlinked = UInt16.max

    var head: FlowIndex = end
    var tail: FlowIndex = end

    var isEmpty: Bool { head == Self.end }
}
