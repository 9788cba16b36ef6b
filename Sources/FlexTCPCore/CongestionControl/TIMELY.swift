/// TIMELY (Mittal et al., "TIMELY: RTT-based Congestion Control for the Datacenter", SIGCOMM 2015)
/// adapted to TCP with slow start, as a rate-based algorithm for the slow path's control loop.
///
/// Each control step of a flow that ACKed data and has an RTT reading (the fast path's smoothed RTT
/// from timestamp echoes, `CongestionFeedback.rttEstimateNanoseconds`) is one of TIMELY's
/// "completion events", with `newRTT` that reading:
/// 1. Keep the rate at most `ackRateHeadroom` times the measured ACK rate (`AckRateLimit`, as DCTCP).
/// 2. minRTT ← min(minRTT, newRTT) (the paper configures minRTT; here it is the least RTT the flow
///    has seen, its propagation delay); rttDiff ← (1 − α)·rttDiff + α·(newRTT − previousRTT);
///    gradient ← rttDiff / minRTT.
/// 3. On loss (fast retransmit or timeout) halve the rate and leave slow start: TCP's answer, which
///    the paper's RDMA transport did not need.
/// 4. In slow start (TCP's addition) double the rate while newRTT < Tlow; the first reading at or
///    above Tlow ends slow start and is handled by step 5 at once.
/// 5. TIMELY: newRTT < Tlow → rate + δ; newRTT > Thigh → rate·(1 − β·(1 − Thigh/newRTT));
///    otherwise gradient ≤ 0 → rate + n·δ, with n = N once the gradient was negative for N steps in
///    a row (hyper-active increase), else 1; gradient > 0 → rate·(1 − β·min(1, gradient)) (the
///    paper's rate·(1 − β·gradient) turns negative above a gradient of 1/β: capped at 1).
/// 6. Clamp to the rate bounds.
///
/// A step without ACKed data measures nothing: only a loss moves the rate. A flow without RTT
/// readings (no timestamps) stays in slow start, doubling per step that ACKed data, until a loss.
/// ECN echoes are ignored: TIMELY reads delay only.
///
/// Contract: `rateBytesPerSecond` stays within the configured bounds; updates are deterministic.
package struct TIMELYRateController: CongestionController {
    package let configuration: TIMELYConfiguration
    package private(set) var isInSlowStart = true
    /// TIMELY's rttDiff: the EWMA of the RTT's change between readings, in nanoseconds.
    package private(set) var rttDifferenceNanoseconds: Double = 0
    /// TIMELY's minRTT: the least RTT reading so far (0 before the first).
    package private(set) var minimumRTTNanoseconds: UInt64 = 0
    /// Readings in a row whose gradient was negative (hyper-active increase after N).
    package private(set) var negativeGradientSteps = 0
    private var previousRTTNanoseconds: UInt64 = 0
    private var ackRateLimit: AckRateLimit
    private var rate: Double

    package init(configuration: TIMELYConfiguration) {
        self.configuration = configuration
        ackRateLimit = AckRateLimit(headroom: configuration.ackRateHeadroom)
        rate = configuration.initialRateBytesPerSecond
    }

    package var rateBytesPerSecond: UInt64 { UInt64(rate.rounded()) }

    /// The normalised RTT gradient: rttDiff / minRTT (0 before two readings).
    package var normalizedGradient: Double {
        minimumRTTNanoseconds > 0 ? rttDifferenceNanoseconds / Double(minimumRTTNanoseconds) : 0
    }

    package var controlIntervalNanoseconds: UInt64 {
        configuration.controlInterval.interval(forRoundTripTime: previousRTTNanoseconds)
    }

    package mutating func update(with feedback: CongestionFeedback) -> UInt64 {
        let ackRate = feedback.ackRateBytesPerSecond
        if let ackRate { rate = ackRateLimit.limit(rate, ackRate: ackRate) }
        let rtt = feedback.rttEstimateNanoseconds
        let measured = ackRate != nil && rtt > 0
        if measured { observe(roundTrip: rtt) }
        if feedback.indicatesLoss {
            isInSlowStart = false
            rate /= 2
        } else if measured {
            rate = adjusted(roundTrip: rtt)
        } else if isInSlowStart, ackRate != nil {
            rate *= 2
        }
        rate = configuration.rateBounds.clamp(rate)
        return rateBytesPerSecond
    }

    /// Step 2: the new reading's minimum, difference and gradient.
    private mutating func observe(roundTrip rtt: UInt64) {
        minimumRTTNanoseconds = minimumRTTNanoseconds == 0 ? rtt : min(minimumRTTNanoseconds, rtt)
        if previousRTTNanoseconds > 0 {
            let difference = Double(rtt) - Double(previousRTTNanoseconds)
            rttDifferenceNanoseconds += configuration.gradientWeight * (difference - rttDifferenceNanoseconds)
            negativeGradientSteps = rttDifferenceNanoseconds < 0 ? negativeGradientSteps + 1 : 0
        }
        previousRTTNanoseconds = rtt
    }

    /// Steps 4 and 5: the rate after a reading of `rtt` without loss.
    private mutating func adjusted(roundTrip rtt: UInt64) -> Double {
        if isInSlowStart {
            if rtt < configuration.lowThresholdNanoseconds { return rate * 2 }
            isInSlowStart = false
        }
        let step = configuration.additiveIncreaseBytesPerSecond
        if rtt < configuration.lowThresholdNanoseconds { return rate + step }
        let beta = configuration.multiplicativeDecrease
        if rtt > configuration.highThresholdNanoseconds {
            return rate * (1 - beta * (1 - Double(configuration.highThresholdNanoseconds) / Double(rtt)))
        }
        let gradient = normalizedGradient
        if gradient <= 0 {
            let steps = negativeGradientSteps >= configuration.hyperActiveIncreaseSteps ? configuration.hyperActiveIncreaseSteps : 1
            return rate + Double(steps) * step
        }
        return rate * (1 - beta * min(1, gradient))
    }
}

/// The parameters of `TIMELYRateController`. Rates are in bytes per second, times in nanoseconds.
///
/// Contract: the initializer refuses inconsistent values with a typed error, so every stored
/// configuration is usable. Defaults: the paper's δ = 10 Mbit/s, Tlow = 50 µs, Thigh = 500 µs,
/// β = 0.8 and N = 5; α = 0.875 (the newest difference dominates: the RTT reading is already an
/// EWMA over the interval's ACKs); FlexTCP's 10 Mbit/s initial and minimum rate and 1.2× ACK-rate
/// headroom; one step per RTT (about TIMELY's one completion event per 64 KB at 10 Gbit/s),
/// never more often than every 50 µs.
package struct TIMELYConfiguration: CongestionControlAlgorithm, Hashable {
    package let rateBounds: RateBounds
    package let initialRateBytesPerSecond: Double
    /// δ: added per step below Tlow or at a gradient ≤ 0 (N·δ in hyper-active increase).
    package let additiveIncreaseBytesPerSecond: Double
    /// β: the strength of the multiplicative decrease, in (0, 1].
    package let multiplicativeDecrease: Double
    /// α: the weight of the newest RTT difference in rttDiff, in (0, 1].
    package let gradientWeight: Double
    /// Tlow: below it the rate grows by δ whatever the gradient (and slow start goes on).
    package let lowThresholdNanoseconds: UInt64
    /// Thigh: above it the rate falls in proportion to how far the RTT is beyond it.
    package let highThresholdNanoseconds: UInt64
    /// N: negative-gradient steps in a row before the increase becomes N·δ.
    package let hyperActiveIncreaseSteps: Int
    /// The rate is kept at most this factor above the measured ACK rate.
    package let ackRateHeadroom: Double
    package let controlInterval: ControlIntervalPolicy

    /// - Parameters:
    ///   - maximumRateBytesPerSecond: the cap, normally the line rate of the port.
    ///   - controlInterval: nil for one RTT with a 50 µs floor.
    package init(
        maximumRateBytesPerSecond: Double,
        minimumRateBytesPerSecond: Double = RateUnit.bytesPerSecond(megabitsPerSecond: 10),
        initialRateBytesPerSecond: Double = RateUnit.bytesPerSecond(megabitsPerSecond: 10),
        additiveIncreaseBytesPerSecond: Double = RateUnit.bytesPerSecond(megabitsPerSecond: 10),
        multiplicativeDecrease: Double = 0.8,
        gradientWeight: Double = 0.875,
        lowThresholdNanoseconds: UInt64 = 50_000,
        highThresholdNanoseconds: UInt64 = 500_000,
        hyperActiveIncreaseSteps: Int = 5,
        ackRateHeadroom: Double = 1.2,
        controlInterval: ControlIntervalPolicy? = nil
    ) throws(CongestionControlConfigurationError) {
        rateBounds = try RateBounds(
            minimumBytesPerSecond: minimumRateBytesPerSecond, maximumBytesPerSecond: maximumRateBytesPerSecond,
            initialBytesPerSecond: initialRateBytesPerSecond, additiveIncreaseBytesPerSecond: additiveIncreaseBytesPerSecond,
            ackRateHeadroom: ackRateHeadroom)
        guard multiplicativeDecrease > 0, multiplicativeDecrease <= 1, gradientWeight > 0, gradientWeight <= 1 else { throw .invalidWeight }
        guard lowThresholdNanoseconds > 0, lowThresholdNanoseconds < highThresholdNanoseconds else { throw .invalidDelayThresholds }
        guard hyperActiveIncreaseSteps >= 1 else { throw .invalidStepCount }
        self.initialRateBytesPerSecond = initialRateBytesPerSecond
        self.additiveIncreaseBytesPerSecond = additiveIncreaseBytesPerSecond
        self.multiplicativeDecrease = multiplicativeDecrease
        self.gradientWeight = gradientWeight
        self.lowThresholdNanoseconds = lowThresholdNanoseconds
        self.highThresholdNanoseconds = highThresholdNanoseconds
        self.hyperActiveIncreaseSteps = hyperActiveIncreaseSteps
        self.ackRateHeadroom = ackRateHeadroom
        if let controlInterval {
            self.controlInterval = controlInterval
        } else {
            self.controlInterval = try ControlIntervalPolicy(roundTripTimes: 1)
        }
    }

    package func makeController() -> any CongestionController { TIMELYRateController(configuration: self) }
}
