/// The range a congestion controller keeps a flow's rate in, in bytes per second.
///
/// Contract: `0 < minimum ≤ maximum ≤ largestBytesPerSecond` (the initializer refuses anything
/// else, NaN included); `clamp` maps every finite value into that range.
package struct RateBounds: Hashable, Sendable {
    /// 8 Pbit/s: far above any link, and small enough to convert to `UInt64` exactly enough.
    package static let largestBytesPerSecond: Double = 1e15

    package let minimumBytesPerSecond: Double
    package let maximumBytesPerSecond: Double

    package init(
        minimumBytesPerSecond: Double, maximumBytesPerSecond: Double
    ) throws(CongestionControlConfigurationError) {
        guard minimumBytesPerSecond > 0, minimumBytesPerSecond <= maximumBytesPerSecond,
              maximumBytesPerSecond <= Self.largestBytesPerSecond
        else { throw .invalidRateBounds }
        self.minimumBytesPerSecond = minimumBytesPerSecond
        self.maximumBytesPerSecond = maximumBytesPerSecond
    }

    /// The bounds of a rate law whose other rate parameters are checked with them: the initial rate
    /// must lie within the bounds, the additive step be finite and not negative, the ACK-rate
    /// headroom finite and at least 1.
    package init(
        minimumBytesPerSecond: Double, maximumBytesPerSecond: Double, initialBytesPerSecond: Double,
        additiveIncreaseBytesPerSecond: Double, ackRateHeadroom: Double
    ) throws(CongestionControlConfigurationError) {
        try self.init(minimumBytesPerSecond: minimumBytesPerSecond, maximumBytesPerSecond: maximumBytesPerSecond)
        guard contains(initialBytesPerSecond) else { throw .initialRateOutOfBounds }
        guard additiveIncreaseBytesPerSecond >= 0, additiveIncreaseBytesPerSecond.isFinite else { throw .invalidRateStep }
        guard ackRateHeadroom >= 1, ackRateHeadroom.isFinite else { throw .invalidAckRateHeadroom }
    }

    package func contains(_ bytesPerSecond: Double) -> Bool {
        bytesPerSecond >= minimumBytesPerSecond && bytesPerSecond <= maximumBytesPerSecond
    }

    package func clamp(_ bytesPerSecond: Double) -> Double {
        min(max(bytesPerSecond, minimumBytesPerSecond), maximumBytesPerSecond)
    }
}

/// Conversions into the bytes-per-second unit congestion control uses.
package enum RateUnit {
    /// `megabitsPerSecond` (10^6 bit/s) in bytes per second.
    package static func bytesPerSecond(megabitsPerSecond: Double) -> Double {
        megabitsPerSecond * 125_000
    }
}
