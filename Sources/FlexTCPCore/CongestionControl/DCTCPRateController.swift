#if canImport(Glibc)
import Glibc
#endif

/// Rate-based DCTCP, FlexTCP's default congestion control (Kaufmann's dissertation, §4.3.2 and
/// appendix A.2): DCTCP's control law applied to a flow's transmit rate instead of a window.
///
/// Each update, in order:
/// 1. If the interval ACKed data, keep the rate at most `ackRateHeadroom` (1.2) times the measured
///    ACK rate: the larger of this interval's rate and its EWMA (weight 1/8; `AckRateLimit`). This
///    stops the rate from growing far beyond what the flow really sends.
/// 2. If the interval ACKed data, update the ECN fraction (RFC 8257 §3.3):
///    alpha ← (1 − g)·alpha + g·F, with F the marked fraction of the ACKed bytes.
/// 3. Any loss or ECN echo ends slow start for good.
/// 4. On loss (fast retransmit or timeout) halve the rate; else on ECN echoes multiply it by
///    (1 − alpha/2); else, if data was ACKed, double it in slow start or add the additive step.
/// 5. In slow start keep at least the initial window per RTT estimate (`initialWindowSegments` ×
///    MSS ÷ RTT, RFC 6928); a flow starts there when the handshake measured its RTT, at
///    `initialRateBytesPerSecond` before any RTT is known. Clamp to the rate bounds.
///
/// Fairness (`DCTCPConfiguration.timeWeightedSteps`, off by default): the appendix's law moves a
/// flow once per step, so a flow stepping every 2 RTTs of an empty queue outgrows one stepping
/// every 2 RTTs of a full one, and a slow flow whose short step sees one marked segment is cut
/// every time (incast starved most flows at the minimum rate: `flexbench cc incast`). With time
/// weighting, a step is at least as long as sending `bytesPerStep` takes at the current rate; the
/// step and g count in units of the reference interval (2 × the current RTT estimate) — a step `s`
/// times as long adds `s` steps and weighs F as `s` intervals would (g' = 1 − (1 − g)^s) — and a
/// marked step still grows for its unmarked share (1 − F) of the ACKed bytes, as DCTCP grows its
/// window on every unmarked ACK and cuts it at most once per window.
///
/// An interval that ACKed nothing (the flow was idle or application-limited, or everything in
/// flight was lost) measures nothing: the rate is neither clamped nor grown, and the ACK-rate EWMA
/// keeps its value so a flow resuming after a pause is not held to its idle rate. Losses and
/// timeouts in such an interval still halve the rate.
///
/// Pacing (`pacesFlow`), for cost: until its first ECN echo or loss a flow goes unpaced once a step
/// shows that its rate does not hold it back (it ACKed under `applicationLimitedShare`, half, of
/// the rate) and that its application or the peer's window does (nothing waiting, or half the
/// peer's window in flight). Like TCP before its first loss it is then held by windows only and
/// costs the queue manager no pacing work; its rate is still computed. A flow that uses its rate is
/// paced again (slow start ramps it up from its initial window), and so is one held back by the
/// network before any ECN echo: a bottleneck it shares (incast) would take its whole window at
/// once. From the first congestion signal on the flow is paced at its rate for good.
///
/// Contract: `rateBytesPerSecond` stays within the configured bounds; updates are deterministic.
package struct DCTCPRateController: CongestionController {
    /// Bytes a step lasts at least (at the current rate): four full-sized segments.
    package static let bytesPerStep = 6_000.0
    /// The most reference intervals one step counts for (a step resumed after a long pause).
    static let maximumStepScale = 1_000.0
    /// Below this fraction of the rate that applied, a slow-start step's ACK rate shows the flow was
    /// not limited by its rate.
    package static let applicationLimitedShare = 0.5

    package let configuration: DCTCPConfiguration
    package private(set) var isInSlowStart = true
    /// Whether the rate is enforced: from the first congestion signal on, at first, and in slow start
    /// unless the last step showed the application or the peer's window holding the flow back.
    package private(set) var pacesFlow = true
    /// DCTCP's alpha: the EWMA of the fraction of ACKed bytes that carried ECN echoes.
    package private(set) var ecnFraction: Double
    /// The EWMA of the ACK rate over intervals that ACKed data; 0 before the first.
    package var smoothedAckRateBytesPerSecond: Double { ackRateLimit.smoothedBytesPerSecond }
    private var ackRateLimit: AckRateLimit
    private var rate: Double
    private var rttEstimateNanoseconds: UInt64 = 0
    private var maximumSegmentBytes: UInt64 = 0

    package init(configuration: DCTCPConfiguration) {
        self.configuration = configuration
        ecnFraction = configuration.initialECNFraction
        ackRateLimit = AckRateLimit(headroom: configuration.ackRateHeadroom)
        rate = configuration.initialRateBytesPerSecond
    }

    package var rateBytesPerSecond: UInt64 { UInt64(rate.rounded()) }

    /// The reference interval; with time-weighted steps, longer at a rate that sends `bytesPerStep` more slowly.
    package var controlIntervalNanoseconds: UInt64 {
        let reference = referenceIntervalNanoseconds
        guard configuration.timeWeightedSteps, rate > 0 else { return reference }
        return max(reference, UInt64(min(1e18, Self.bytesPerStep * 1e9 / rate)))
    }

    /// The policy's interval for the current RTT estimate (2 RTTs by default).
    private var referenceIntervalNanoseconds: UInt64 {
        configuration.controlInterval.interval(forRoundTripTime: rttEstimateNanoseconds)
    }

    /// The initial window per RTT estimate; 0 while either is unknown.
    private var initialWindowRate: Double {
        guard rttEstimateNanoseconds > 0 else { return 0 }
        return configuration.initialWindowSegments * Double(maximumSegmentBytes) * 1e9 / Double(rttEstimateNanoseconds)
    }

    package mutating func begin(roundTripNanoseconds: UInt64, maximumSegmentBytes: UInt64) {
        self.maximumSegmentBytes = maximumSegmentBytes
        guard roundTripNanoseconds > 0 else { return }
        rttEstimateNanoseconds = roundTripNanoseconds
        rate = configuration.rateBounds.clamp(max(rate, initialWindowRate))
    }

    package mutating func update(with feedback: CongestionFeedback) -> UInt64 {
        if feedback.rttEstimateNanoseconds > 0 { rttEstimateNanoseconds = feedback.rttEstimateNanoseconds }
        let scale = configuration.timeWeightedSteps
            ? min(Self.maximumStepScale, max(1, Double(feedback.intervalNanoseconds) / Double(max(referenceIntervalNanoseconds, 1))))
            : 1
        let ackRate = feedback.ackRateBytesPerSecond
        if feedback.indicatesCongestion {
            pacesFlow = true
        } else if isInSlowStart, let ackRate {
            let heldByRate = ackRate >= Self.applicationLimitedShare * rate
            pacesFlow = heldByRate || (feedback.hasBytesWaiting && !feedback.isWindowLimited)
        }
        if let ackRate { rate = ackRateLimit.limit(rate, ackRate: ackRate) }
        if let markedFraction = feedback.ecnMarkedFraction {
            let weight = 1 - pow(1 - configuration.ecnWeight, scale)
            ecnFraction += weight * (markedFraction - ecnFraction)
        }
        if feedback.indicatesCongestion { isInSlowStart = false }

        if feedback.indicatesLoss {
            rate /= 2
        } else if isInSlowStart {
            if ackRate != nil { rate *= 2 }
            rate = max(rate, initialWindowRate)
        } else if configuration.timeWeightedSteps {
            if feedback.ecnMarkedBytes > 0 { rate *= 1 - ecnFraction / 2 }
            if let markedFraction = feedback.ecnMarkedFraction {
                rate += configuration.additiveIncreaseBytesPerSecond * scale * (1 - markedFraction)
            }
        } else if feedback.ecnMarkedBytes > 0 {
            rate *= 1 - ecnFraction / 2
        } else if ackRate != nil {
            rate += configuration.additiveIncreaseBytesPerSecond
        }
        rate = configuration.rateBounds.clamp(rate)
        return rateBytesPerSecond
    }
}
