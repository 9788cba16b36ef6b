/// An operator-set rate cap for every flow, whatever the network says: the simplest congestion
/// "control", for links whose share is known in advance (and a baseline for the others).
///
/// Contract: every flow is paced at exactly `bytesPerSecond` (0 < rate ≤ `RateBounds.largestBytesPerSecond`)
/// from its first byte; the control loop runs every `controlIntervalNanoseconds` and never changes the rate.
package struct ConstantRatePolicy: CongestionControlAlgorithm, Hashable {
    package let bytesPerSecond: UInt64
    package let controlIntervalNanoseconds: UInt64

    /// A cap of `bytesPerSecond`, its loop looked at every `controlIntervalNanoseconds` (default 1 ms).
    package init(bytesPerSecond: UInt64, controlIntervalNanoseconds: UInt64 = 1_000_000) throws(CongestionControlConfigurationError) {
        guard bytesPerSecond > 0, Double(bytesPerSecond) <= RateBounds.largestBytesPerSecond else { throw .invalidRateBounds }
        guard controlIntervalNanoseconds > 0 else { throw .invalidControlInterval }
        self.bytesPerSecond = bytesPerSecond
        self.controlIntervalNanoseconds = controlIntervalNanoseconds
    }

    package func makeController() -> any CongestionController { Controller(policy: self) }

    /// The per-flow controller: the policy's rate, unchanged by any feedback.
    struct Controller: CongestionController {
        let policy: ConstantRatePolicy
        var rateBytesPerSecond: UInt64 { policy.bytesPerSecond }
        var controlIntervalNanoseconds: UInt64 { policy.controlIntervalNanoseconds }
        mutating func update(with feedback: CongestionFeedback) -> UInt64 { policy.bytesPerSecond }
    }
}
