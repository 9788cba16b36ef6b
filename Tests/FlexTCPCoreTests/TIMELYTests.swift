import FlexPort
import Testing
@testable import FlexTCPCore

@Suite("TIMELY (RTT gradient) control law")
struct TIMELYTests {
    /// 10 Mbit/s: the default initial rate, additive step δ and minimum rate.
    static let step: Double = 1_250_000
    static let interval: UInt64 = 100_000
    static let microsecond: UInt64 = 1_000

    static func controller(initialRate: Double = step) throws -> TIMELYRateController {
        TIMELYRateController(configuration: try TIMELYConfiguration(maximumRateBytesPerSecond: 1_250_000_000,
                                                                    initialRateBytesPerSecond: initialRate))
    }

    /// An interval that ACKed plenty (the ACK-rate clamp never binds) with an RTT reading of `rtt` µs.
    static func reading(_ rtt: UInt64, fastRetransmits: UInt32 = 0) -> CongestionFeedback {
        CongestionFeedback(ackedBytes: 1_000_000, fastRetransmits: fastRetransmits, rttEstimateNanoseconds: rtt * microsecond,
                           intervalNanoseconds: interval)
    }

    /// A controller out of slow start, its RTT history one reading of `rtt` µs (≥ Tlow, ≤ Thigh), which
    /// added δ to `rate` (no gradient yet).
    static func congestionAvoidance(rate: Double, rtt: UInt64 = 100) throws -> TIMELYRateController {
        var controller = try controller(initialRate: rate)
        #expect(controller.update(with: reading(rtt)) == UInt64(rate + step))
        #expect(!controller.isInSlowStart)
        return controller
    }

    @Test("slow start doubles the rate while the RTT stays below Tlow; the first reading at Tlow or above ends it")
    func slowStart() throws {
        var controller = try Self.controller()
        for doublings in 1...4 {
            #expect(controller.update(with: Self.reading(20)) == UInt64(Self.step) << UInt64(doublings))
            #expect(controller.isInSlowStart)
        }
        // 60 µs: in the gradient band, rising (diff 40 µs · α over minRTT 20 µs): a decrease, not a doubling.
        let rate = Double(controller.rateBytesPerSecond)
        #expect(Double(controller.update(with: Self.reading(60))) < rate)
        #expect(!controller.isInSlowStart)
    }

    @Test("below Tlow the rate grows by δ per step whatever the gradient")
    func additiveIncreaseBelowLowThreshold() throws {
        var controller = try Self.congestionAvoidance(rate: 100 * Self.step)
        for rtt: UInt64 in [40, 45, 49] {
            let before = controller.rateBytesPerSecond
            #expect(controller.update(with: Self.reading(rtt)) == before + UInt64(Self.step))
        }
        #expect(controller.normalizedGradient > 0)
    }

    @Test("above Thigh the rate falls by β·(1 − Thigh/RTT)", arguments: [600 as UInt64, 1_000, 5_000])
    func multiplicativeDecreaseAboveHighThreshold(rtt: UInt64) throws {
        var controller = try Self.congestionAvoidance(rate: 400 * Self.step)
        let expected = 401 * Self.step * (1 - 0.8 * (1 - 500 / Double(rtt)))
        #expect(abs(Double(controller.update(with: Self.reading(rtt))) - expected) <= 1)
    }

    @Test("between Tlow and Thigh: a rising RTT cuts the rate by β·gradient, a falling one adds δ")
    func gradientBand() throws {
        var rising = try Self.congestionAvoidance(rate: 400 * Self.step, rtt: 100)
        // rttDiff = α · 20 µs = 17.5 µs; minRTT 100 µs: gradient 0.175.
        let cut = Double(rising.update(with: Self.reading(120)))
        #expect(abs(rising.normalizedGradient - 0.175) < 1e-9)
        #expect(abs(cut - 401 * Self.step * (1 - 0.8 * 0.175)) <= 1)

        var falling = try Self.congestionAvoidance(rate: 400 * Self.step, rtt: 200)
        #expect(falling.update(with: Self.reading(150)) == UInt64(402 * Self.step))
        #expect(falling.normalizedGradient < 0)
        // A steady RTT: the gradient decays towards 0 from below, still ≤ 0: δ again.
        #expect(falling.update(with: Self.reading(150)) == UInt64(403 * Self.step))
    }

    @Test("a steep rise cuts at most β (the paper's law would turn the rate negative)")
    func decreaseCapped() throws {
        var controller = try Self.congestionAvoidance(rate: 400 * Self.step, rtt: 60)
        _ = controller.update(with: Self.reading(400))
        #expect(controller.normalizedGradient > 1)
        #expect(abs(Double(controller.rateBytesPerSecond) - 401 * Self.step * 0.2) <= 1)
    }

    @Test("hyper-active increase: after N steps of negative gradient in a row the step is N·δ, and a rise resets it")
    func hyperActiveIncrease() throws {
        var controller = try Self.congestionAvoidance(rate: 100 * Self.step, rtt: 400)
        var increases: [UInt64] = []
        for rtt: UInt64 in [390, 380, 370, 360, 350, 340, 330] {
            let before = controller.rateBytesPerSecond
            increases.append((controller.update(with: Self.reading(rtt)) - before) / UInt64(Self.step))
        }
        #expect(increases == [1, 1, 1, 1, 5, 5, 5])
        #expect(controller.negativeGradientSteps == 7)
        _ = controller.update(with: Self.reading(400))
        #expect(controller.negativeGradientSteps == 0)
    }

    @Test("loss halves the rate and ends slow start; a step that ACKed nothing leaves the rate")
    func lossAndIdleSteps() throws {
        var controller = try Self.controller(initialRate: 64 * Self.step)
        #expect(controller.update(with: Self.reading(20, fastRetransmits: 1)) == UInt64(32 * Self.step))
        #expect(!controller.isInSlowStart)
        #expect(controller.update(with: CongestionFeedback(rttEstimateNanoseconds: 30_000, intervalNanoseconds: Self.interval))
                == UInt64(32 * Self.step))
        #expect(controller.update(with: CongestionFeedback(retransmissionTimeouts: 1, intervalNanoseconds: Self.interval))
                == UInt64(16 * Self.step))
    }

    @Test("the control interval is one RTT reading (50 µs floor); the rate stays within its bounds")
    func intervalAndBounds() throws {
        var controller = try Self.controller()
        #expect(controller.controlIntervalNanoseconds == 50_000)
        _ = controller.update(with: Self.reading(80))
        #expect(controller.controlIntervalNanoseconds == 80_000)
        for _ in 0..<30 { _ = controller.update(with: Self.reading(10_000, fastRetransmits: 1)) }
        #expect(controller.rateBytesPerSecond == UInt64(Self.step))
    }

    @Test("inconsistent parameters are refused")
    func refusesBadParameters() {
        #expect(throws: CongestionControlConfigurationError.invalidDelayThresholds) {
            try TIMELYConfiguration(maximumRateBytesPerSecond: 1e9, lowThresholdNanoseconds: 500_000, highThresholdNanoseconds: 500_000)
        }
        #expect(throws: CongestionControlConfigurationError.invalidWeight) {
            try TIMELYConfiguration(maximumRateBytesPerSecond: 1e9, multiplicativeDecrease: 1.5)
        }
        #expect(throws: CongestionControlConfigurationError.invalidStepCount) {
            try TIMELYConfiguration(maximumRateBytesPerSecond: 1e9, hyperActiveIncreaseSteps: 0)
        }
    }

    @Test("two stacks running TIMELY over a 100 Mbit/s bottleneck: 3 MB arrive intact, slow start ends, the rate settles near the bottleneck and the queue manager paces at it")
    func transferThroughBottleneck() throws {
        var impairment = LinkEmulatorSettings()
        impairment.rateBitsPerSecond = 100_000_000
        impairment.propagationDelayNanoseconds = 20_000
        let timely = try TIMELYConfiguration(maximumRateBytesPerSecond: 1.25e9, lowThresholdNanoseconds: 300_000,
                                             highThresholdNanoseconds: 1_500_000)
        let configuration = StackPair.configuration { $0.congestionControl = timely; $0.minimumRetransmissionTimeout = 5 * StackPair.millisecond }
        let pair = try StackPair(a: configuration, b: configuration, impairment: impairment)
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: 3_000_000, seed: 41)
        var offset = 0
        var highestRTT: UInt32 = 0
        #expect(pair.run(step: 10_000, maximumRounds: 200_000) {
            if offset < data.count { offset += pair.a.send(data[offset...], on: flowA, now: pair.now) }
            highestRTT = max(highestRTT, pair.a.fastPath.state(of: flowA)?.roundTripMicroseconds ?? 0)
            return pair.b.received[flowB, default: []].count >= data.count
        })
        #expect(pair.b.received[flowB] == data)
        let controller = try #require(pair.a.slowPath.congestionController(of: flowA) as? TIMELYRateController)
        #expect(!controller.isInSlowStart)
        #expect(controller.rateBytesPerSecond < 100_000_000 / 8 * 3 / 2)
        #expect(pair.a.fastPath.queueManager.rate(of: flowA) == controller.rateBytesPerSecond)
        // The delay stays within reach of Thigh (slow start's overshoot included): no standing queue of seconds.
        #expect(highestRTT < 4_000, "highest smoothed RTT \(highestRTT) µs")
        #expect(try #require(pair.a.fastPath.state(of: flowA)).fastRetransmits == 0)
    }
}
