import FlexTCPCore
import Testing

@Suite("Congestion control building blocks")
struct CongestionControlTests {
    @Test("feedback derives the ACK rate, the marked fraction and the congestion signals")
    func feedbackDerivedValues() {
        let marked = CongestionFeedback(ackedBytes: 50_000, ecnMarkedBytes: 12_500, intervalNanoseconds: 200_000)
        #expect(marked.ackRateBytesPerSecond == 250_000_000)
        #expect(marked.ecnMarkedFraction == 0.25)
        #expect(marked.indicatesCongestion && !marked.indicatesLoss)

        let idle = CongestionFeedback(intervalNanoseconds: 200_000)
        #expect(idle.ackRateBytesPerSecond == nil && idle.ecnMarkedFraction == nil)
        #expect(!idle.indicatesCongestion)
        #expect(CongestionFeedback(ackedBytes: 1, intervalNanoseconds: 0).ackRateBytesPerSecond == nil)

        #expect(CongestionFeedback(fastRetransmits: 1, intervalNanoseconds: 1).indicatesLoss)
        #expect(CongestionFeedback(retransmissionTimeouts: 1, intervalNanoseconds: 1).indicatesCongestion)
        #expect(CongestionFeedback(ackedBytes: 10, ecnMarkedBytes: 30, intervalNanoseconds: 1).ecnMarkedFraction == 1)
    }

    @Test("the control interval is a multiple of the RTT with a floor, saturating on overflow")
    func controlIntervalPolicy() throws {
        let policy = try ControlIntervalPolicy(roundTripTimes: 3, minimumNanoseconds: 100_000)
        #expect(policy.interval(forRoundTripTime: 0) == 100_000)
        #expect(policy.interval(forRoundTripTime: 30_000) == 100_000)
        #expect(policy.interval(forRoundTripTime: 40_000) == 120_000)
        #expect(policy.interval(forRoundTripTime: .max / 2) == .max)
        let half = try ControlIntervalPolicy(roundTripTimes: 0.5, minimumNanoseconds: 1_000)
        #expect(half.interval(forRoundTripTime: 40_000) == 20_000 && half.interval(forRoundTripTime: 1_000) == 1_000)
        for multiple in [0, -1, .infinity, .nan] {
            #expect(throws: CongestionControlConfigurationError.invalidControlInterval) {
                try ControlIntervalPolicy(roundTripTimes: multiple)
            }
        }
        #expect(throws: CongestionControlConfigurationError.invalidControlInterval) {
            try ControlIntervalPolicy(minimumNanoseconds: 0)
        }
    }

    @Test("rate bounds clamp into the range and refuse impossible ranges")
    func rateBounds() throws {
        let bounds = try RateBounds(minimumBytesPerSecond: 10, maximumBytesPerSecond: 100)
        #expect(bounds.clamp(5) == 10 && bounds.clamp(50) == 50 && bounds.clamp(500) == 100)
        #expect(bounds.contains(10) && bounds.contains(100) && !bounds.contains(9.99) && !bounds.contains(.nan))
        for (minimum, maximum) in [(0.0, 100.0), (-1, 100), (200, 100), (1, 2e15), (.nan, 100), (1, .infinity)] {
            #expect(throws: CongestionControlConfigurationError.invalidRateBounds) {
                try RateBounds(minimumBytesPerSecond: minimum, maximumBytesPerSecond: maximum)
            }
        }
        #expect(RateUnit.bytesPerSecond(megabitsPerSecond: 10) == 1_250_000)
    }

    @Test("the DCTCP configuration has FlexTCP's defaults")
    func dctcpDefaults() throws {
        let configuration = try DCTCPConfiguration(maximumRateBytesPerSecond: 1_250_000_000)
        #expect(configuration.initialRateBytesPerSecond == 1_250_000)
        #expect(configuration.additiveIncreaseBytesPerSecond == 1_250_000)
        #expect(configuration.rateBounds.minimumBytesPerSecond == 1_250_000)
        #expect(configuration.rateBounds.maximumBytesPerSecond == 1_250_000_000)
        #expect(configuration.ecnWeight == 1.0 / 16)
        #expect(configuration.ackRateHeadroom == 1.2)
        #expect(configuration.controlInterval == (try ControlIntervalPolicy(roundTripTimes: 2, minimumNanoseconds: 50_000)))
    }

    @Test("the DCTCP configuration refuses inconsistent values")
    func dctcpValidation() {
        let maximum = 1_250_000_000.0
        #expect(throws: CongestionControlConfigurationError.invalidRateBounds) {
            try DCTCPConfiguration(maximumRateBytesPerSecond: 1_000)
        }
        #expect(throws: CongestionControlConfigurationError.initialRateOutOfBounds) {
            try DCTCPConfiguration(maximumRateBytesPerSecond: maximum, initialRateBytesPerSecond: 2 * maximum)
        }
        #expect(throws: CongestionControlConfigurationError.invalidRateStep) {
            try DCTCPConfiguration(maximumRateBytesPerSecond: maximum, additiveIncreaseBytesPerSecond: -1)
        }
        #expect(throws: CongestionControlConfigurationError.invalidWeight) {
            try DCTCPConfiguration(maximumRateBytesPerSecond: maximum, ecnWeight: 0)
        }
        #expect(throws: CongestionControlConfigurationError.invalidWeight) {
            try DCTCPConfiguration(maximumRateBytesPerSecond: maximum, initialECNFraction: 1.5)
        }
        #expect(throws: CongestionControlConfigurationError.invalidAckRateHeadroom) {
            try DCTCPConfiguration(maximumRateBytesPerSecond: maximum, ackRateHeadroom: 0.9)
        }
    }

    @Test("controllers are used through the protocol, one per flow")
    func protocolUse() throws {
        let configuration = try DCTCPConfiguration(maximumRateBytesPerSecond: 1_250_000_000)
        var flows: [any CongestionController] = Array(repeating: DCTCPRateController(configuration: configuration), count: 2)
        let rate = flows[0].update(with: CongestionFeedback(ackedBytes: 125, intervalNanoseconds: 100_000))
        #expect(rate == 2_500_000 && flows[0].rateBytesPerSecond == 2_500_000)
        #expect(flows[1].rateBytesPerSecond == 1_250_000)
    }
}
