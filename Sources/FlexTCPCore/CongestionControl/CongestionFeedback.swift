/// What the slow path learned about one flow during one control interval: the fast path's
/// counters since the previous reading (bytes ACKed, bytes ACKed with an ECN echo, fast
/// retransmits, its current RTT estimate), the retransmission timeouts the slow path counted, and
/// what held the flow back at the end (bytes waiting; the peer's window).
///
/// Contract: the counters are per-interval deltas. An RTT estimate of 0 means "none yet". Any
/// values are tolerated: an empty interval measures no rate, and more ECN-marked than ACKed bytes
/// counts as a marked fraction of 1.
package struct CongestionFeedback: Hashable, Sendable {
    package var ackedBytes: UInt64
    package var ecnMarkedBytes: UInt64
    package var fastRetransmits: UInt32
    package var retransmissionTimeouts: UInt32
    package var rttEstimateNanoseconds: UInt64
    /// The time since the previous update of this flow.
    package var intervalNanoseconds: UInt64
    /// Whether the flow had bytes queued that it had not sent yet when the interval ended (false:
    /// its application held it back).
    package var hasBytesWaiting: Bool
    /// Whether, with bytes waiting, at least half the peer's window was in flight when the interval
    /// ended: the peer's window held the flow back.
    package var isWindowLimited: Bool

    package init(
        ackedBytes: UInt64 = 0, ecnMarkedBytes: UInt64 = 0, fastRetransmits: UInt32 = 0,
        retransmissionTimeouts: UInt32 = 0, rttEstimateNanoseconds: UInt64 = 0, intervalNanoseconds: UInt64,
        hasBytesWaiting: Bool = false, isWindowLimited: Bool = false
    ) {
        self.ackedBytes = ackedBytes
        self.ecnMarkedBytes = ecnMarkedBytes
        self.fastRetransmits = fastRetransmits
        self.retransmissionTimeouts = retransmissionTimeouts
        self.rttEstimateNanoseconds = rttEstimateNanoseconds
        self.intervalNanoseconds = intervalNanoseconds
        self.hasBytesWaiting = hasBytesWaiting
        self.isWindowLimited = isWindowLimited
    }

    /// True when a segment was lost: a fast retransmit or a retransmission timeout.
    package var indicatesLoss: Bool { fastRetransmits > 0 || retransmissionTimeouts > 0 }

    /// True on loss or on any ECN echo.
    package var indicatesCongestion: Bool { indicatesLoss || ecnMarkedBytes > 0 }

    /// The rate at which data was ACKed, or nil when the interval ACKed nothing (or had no length).
    package var ackRateBytesPerSecond: Double? {
        guard ackedBytes > 0, intervalNanoseconds > 0 else { return nil }
        return Double(ackedBytes) * 1e9 / Double(intervalNanoseconds)
    }

    /// The fraction of ACKed bytes that carried an ECN echo (DCTCP's F); nil when nothing was ACKed.
    package var ecnMarkedFraction: Double? {
        guard ackedBytes > 0 else { return nil }
        return min(1, Double(ecnMarkedBytes) / Double(ackedBytes))
    }
}
