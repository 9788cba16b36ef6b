/// How often the slow path runs a flow's control loop: every `roundTripTimes` RTT estimates, but
/// never more often than every `minimumNanoseconds` (also the interval before any estimate exists).
///
/// Contract: `roundTripTimes ≥ 1` and `minimumNanoseconds > 0` (the initializer refuses anything
/// else); `interval(forRoundTripTime:)` never overflows (it saturates).
package struct ControlIntervalPolicy: Hashable, Sendable {
    package let roundTripTimes: UInt64
    package let minimumNanoseconds: UInt64

    /// FlexTCP's default is two RTTs; 50 µs keeps a flow's loop from running absurdly often.
    package init(
        roundTripTimes: UInt64 = 2, minimumNanoseconds: UInt64 = 50_000
    ) throws(CongestionControlConfigurationError) {
        guard roundTripTimes >= 1, minimumNanoseconds > 0 else { throw .invalidControlInterval }
        self.roundTripTimes = roundTripTimes
        self.minimumNanoseconds = minimumNanoseconds
    }

    /// The control interval for an RTT estimate (0 when there is none).
    package func interval(forRoundTripTime rttNanoseconds: UInt64) -> UInt64 {
        let (product, overflow) = rttNanoseconds.multipliedReportingOverflow(by: roundTripTimes)
        return overflow ? .max : max(product, minimumNanoseconds)
    }
}
