/// How often the slow path runs a flow's control loop: every `roundTripTimes` RTT estimates, but
/// never more often than every `minimumNanoseconds` (also the interval before any estimate exists).
///
/// Contract: `roundTripTimes ≥ 1` and `minimumNanoseconds > 0` (the initializer refuses anything
/// else); `interval(forRoundTripTime:)` never overflows (it saturates).
public struct ControlIntervalPolicy: Hashable, Sendable {
    public let roundTripTimes: UInt64
    public let minimumNanoseconds: UInt64

    /// FlexTCP's default is two RTTs; 50 µs keeps a flow's loop from running absurdly often.
    public init(
        roundTripTimes: UInt64 = 2, minimumNanoseconds: UInt64 = 50_000
    ) throws(CongestionControlConfigurationError) {
        guard roundTripTimes >= 1, minimumNanoseconds > 0 else { throw .invalidControlInterval }
        self.roundTripTimes = roundTripTimes
        self.minimumNanoseconds = minimumNanoseconds
    }

    /// The control interval for an RTT estimate (0 when there is none).
    public func interval(forRoundTripTime rttNanoseconds: UInt64) -> UInt64 {
        let (product, overflow) = rttNanoseconds.multipliedReportingOverflow(by: roundTripTimes)
        return overflow ? .max : max(product, minimumNanoseconds)
    }
}
