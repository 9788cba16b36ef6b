/// Rate-based DCTCP, FlexTCP's default congestion control (Kaufmann's dissertation, §4.3.2 and
/// appendix A.2): DCTCP's control law applied to a flow's transmit rate instead of a window.
///
/// Each update, in order:
/// 1. If the interval ACKed data, keep the rate at most `ackRateHeadroom` (1.2) times the measured
///    ACK rate: the larger of this interval's rate and its EWMA (weight 1/8). This stops the rate
///    from growing far beyond what the flow really sends.
/// 2. If the interval ACKed data, update the ECN fraction (RFC 8257 §3.3):
///    alpha ← (1 − g)·alpha + g·F, with F the marked fraction of the ACKed bytes.
/// 3. Any loss or ECN echo ends slow start for good.
/// 4. On loss (fast retransmit or timeout) halve the rate; else on ECN echoes multiply it by
///    (1 − alpha/2); else, if data was ACKed, double it in slow start or add the additive step.
/// 5. Clamp to the rate bounds.
///
/// An interval that ACKed nothing (the flow was idle or application-limited, or everything in
/// flight was lost) measures nothing: the rate is neither clamped nor grown, and the ACK-rate EWMA
/// keeps its value so a flow resuming after a pause is not held to its idle rate. Losses and
/// timeouts in such an interval still halve the rate.
///
/// Contract: `rateBytesPerSecond` stays within the configured bounds; updates are deterministic.
package struct DCTCPRateController: CongestionController {
    /// Weight of one interval's ACK rate in `smoothedAckRateBytesPerSecond` (A.2 uses 1/8).
    package static let ackRateWeight = 1.0 / 8

    package let configuration: DCTCPConfiguration
    package private(set) var isInSlowStart = true
    /// DCTCP's alpha: the EWMA of the fraction of ACKed bytes that carried ECN echoes.
    package private(set) var ecnFraction: Double
    /// The EWMA of the ACK rate over intervals that ACKed data; 0 before the first.
    package private(set) var smoothedAckRateBytesPerSecond: Double = 0
    private var rate: Double
    private var rttEstimateNanoseconds: UInt64 = 0

    package init(configuration: DCTCPConfiguration) {
        self.configuration = configuration
        ecnFraction = configuration.initialECNFraction
        rate = configuration.initialRateBytesPerSecond
    }

    package var rateBytesPerSecond: UInt64 { UInt64(rate.rounded()) }

    package var controlIntervalNanoseconds: UInt64 {
        configuration.controlInterval.interval(forRoundTripTime: rttEstimateNanoseconds)
    }

    package mutating func update(with feedback: CongestionFeedback) -> UInt64 {
        if feedback.rttEstimateNanoseconds > 0 { rttEstimateNanoseconds = feedback.rttEstimateNanoseconds }
        let ackRate = feedback.ackRateBytesPerSecond
        if let ackRate { limitToAckRate(ackRate) }
        if let markedFraction = feedback.ecnMarkedFraction {
            ecnFraction += configuration.ecnWeight * (markedFraction - ecnFraction)
        }
        if feedback.indicatesCongestion { isInSlowStart = false }

        if feedback.indicatesLoss {
            rate /= 2
        } else if feedback.ecnMarkedBytes > 0 {
            rate *= 1 - ecnFraction / 2
        } else if ackRate != nil {
            rate = isInSlowStart ? rate * 2 : rate + configuration.additiveIncreaseBytesPerSecond
        }
        rate = configuration.rateBounds.clamp(rate)
        return rateBytesPerSecond
    }

    private mutating func limitToAckRate(_ ackRate: Double) {
        smoothedAckRateBytesPerSecond += Self.ackRateWeight * (ackRate - smoothedAckRateBytesPerSecond)
        rate = min(rate, configuration.ackRateHeadroom * max(smoothedAckRateBytesPerSecond, ackRate))
    }
}
