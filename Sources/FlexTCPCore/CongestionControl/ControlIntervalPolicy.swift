/// How often the slow path runs a flow's control loop: every `roundTripTimes` RTT estimates (a
/// fraction too: 0.5 is twice per RTT), but never more often than every `minimumNanoseconds` (also
/// the interval before any estimate exists).
///
/// Contract: `roundTripTimes` is positive and finite and `minimumNanoseconds > 0` (the initializer
/// refuses anything else); `interval(forRoundTripTime:)` never overflows (it saturates).
package struct ControlIntervalPolicy: Hashable, Sendable {
    package let roundTripTimes: Double
    package let minimumNanoseconds: UInt64

    /// FlexTCP's default is two RTTs; 50 µs keeps a flow's loop from running absurdly often.
    package init(
        roundTripTimes: Double = 2, minimumNanoseconds: UInt64 = 50_000
    ) throws(CongestionControlConfigurationError) {
        guard roundTripTimes > 0, roundTripTimes.isFinite, minimumNanoseconds > 0 else { throw .invalidControlInterval }
        self.roundTripTimes = roundTripTimes
        self.minimumNanoseconds = minimumNanoseconds
    }

    /// The control interval for an RTT estimate (0 when there is none).
    package func interval(forRoundTripTime rttNanoseconds: UInt64) -> UInt64 {
        let product = Double(rttNanoseconds) * roundTripTimes
        return product >= 1.8e19 ? .max : max(UInt64(product), minimumNanoseconds)
    }
}
