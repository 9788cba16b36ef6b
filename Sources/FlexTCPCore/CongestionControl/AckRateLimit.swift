/// FlexTCP's guard against a rate running away from what a flow really sends (dissertation
/// appendix A.2): the rate is kept at most `headroom` times the larger of the interval's ACK rate
/// and the EWMA (weight 1/8) of the ACK rates of the intervals that ACKed data.
///
/// Contract: `limit` never raises a rate; the EWMA starts at 0 and moves only with an ACK rate, so
/// an idle interval (no ACK rate) leaves it as it was.
package struct AckRateLimit: Hashable, Sendable {
    /// Weight of one interval's ACK rate in `smoothedBytesPerSecond` (A.2 uses 1/8).
    package static let weight = 1.0 / 8

    /// The rate is kept at most this factor above the measured ACK rate (≥ 1).
    package let headroom: Double
    /// The EWMA of the ACK rate over intervals that ACKed data; 0 before the first.
    package private(set) var smoothedBytesPerSecond: Double = 0

    package init(headroom: Double) { self.headroom = headroom }

    /// Folds `ackRate` (bytes per second) into the EWMA and returns `rate` limited by it.
    package mutating func limit(_ rate: Double, ackRate: Double) -> Double {
        smoothedBytesPerSecond += Self.weight * (ackRate - smoothedBytesPerSecond)
        return min(rate, headroom * max(smoothedBytesPerSecond, ackRate))
    }
}
