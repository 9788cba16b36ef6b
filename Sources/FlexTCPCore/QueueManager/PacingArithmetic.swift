/// Fixed-point arithmetic for pacing: the time one byte occupies at a given rate, in nanoseconds
/// with `fractionBits` fractional bits, and the send intervals derived from it.
///
/// Contract: pure functions without division on the per-transmission path (`interval`); results
/// saturate at `UInt64.max` instead of overflowing or trapping.
enum PacingArithmetic {
    static let fractionBits = 16

    /// Nanoseconds per byte scaled by 2^16 for a positive `bytesPerSecond`; at least 1, so that a
    /// paced flow always moves forward in time. Relative error below 2^-16 for rates up to 1 GB/s
    /// and below 0.1% up to 50 GB/s (400 Gbit/s).
    static func scaledNanosecondsPerByte(bytesPerSecond: UInt64) -> UInt64 {
        max(1, (1_000_000_000 << UInt64(fractionBits)) / bytesPerSecond)
    }

    /// The time `bytes` occupy, plus the `carriedFraction` left over from the previous interval:
    /// whole nanoseconds and the new fraction to carry.
    static func interval(
        bytes: UInt64, scaledNanosecondsPerByte: UInt64, carriedFraction: UInt16
    ) -> (nanoseconds: UInt64, fraction: UInt16) {
        let product = bytes.multipliedFullWidth(by: scaledNanosecondsPerByte)
        let (low, carry) = product.low.addingReportingOverflow(UInt64(carriedFraction))
        let high = product.high &+ (carry ? 1 : 0)
        let fraction = UInt16(truncatingIfNeeded: low)
        guard high >> UInt64(fractionBits) == 0 else { return (.max, fraction) }
        return (high &<< UInt64(64 - fractionBits) | low &>> UInt64(fractionBits), fraction)
    }

    /// `duration` stretched from the old per-byte time to the new one: the remainder of a wait
    /// that began under the old rate.
    static func rescale(_ duration: UInt64, from oldScaled: UInt64, to newScaled: UInt64) -> UInt64 {
        let product = duration.multipliedFullWidth(by: newScaled)
        guard product.high < oldScaled else { return .max }
        return oldScaled.dividingFullWidth(product).quotient
    }

    static func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
