/// Why a congestion control configuration was refused.
package enum CongestionControlConfigurationError: Error, Hashable, Sendable {
    /// The minimum rate must be positive and no larger than the maximum, which must not exceed
    /// `RateBounds.largestBytesPerSecond`.
    case invalidRateBounds
    /// The initial rate must lie within the rate bounds.
    case initialRateOutOfBounds
    /// A per-interval rate step must be finite and not negative.
    case invalidRateStep
    /// An EWMA weight must lie in (0, 1]; an initial fraction in [0, 1].
    case invalidWeight
    /// The ACK-rate headroom factor must be finite and at least 1.
    case invalidAckRateHeadroom
    /// The control interval must be a positive, finite multiple of the RTT and have a positive floor.
    case invalidControlInterval
    /// A delay threshold pair must satisfy 0 < low < high.
    case invalidDelayThresholds
    /// A count of steps must be at least 1.
    case invalidStepCount
    /// An initial window must be a finite number of segments, not negative.
    case invalidInitialWindow
}
