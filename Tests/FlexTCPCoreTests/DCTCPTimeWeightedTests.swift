import FlexTCPCore
import Testing

@Suite("Rate-based DCTCP with time-weighted steps (fair under incast)")
struct DCTCPTimeWeightedTests {
    /// 10 Mbit/s: the default initial rate, additive step and minimum rate.
    static let step: Double = 1_250_000
    /// The control interval the tests feed: 50 µs, the reference interval before any RTT estimate
    /// (the policy's floor), so that each update counts as one step.
    static let interval: UInt64 = 50_000

    static func controller(initialRate: Double = step, maximumRate: Double = 1_250_000_000) throws -> DCTCPRateController {
        DCTCPRateController(configuration: try DCTCPConfiguration(
            maximumRateBytesPerSecond: maximumRate, initialRateBytesPerSecond: initialRate, timeWeightedSteps: true))
    }

    /// Feedback with a fixed ACK rate of 10 GB/s, far above any rate here, so the ACK-rate clamp never binds.
    static func ample(markedFraction: Double = 0, fastRetransmits: UInt32 = 0) -> CongestionFeedback {
        CongestionFeedback(
            ackedBytes: 1_000_000, ecnMarkedBytes: UInt64(1_000_000 * markedFraction),
            fastRetransmits: fastRetransmits, intervalNanoseconds: interval)
    }

    @Test("under constant marking alpha converges to the marked fraction; each step cuts alpha/2 and adds the unmarked share of the step")
    func ecnFractionConverges() throws {
        var controller = try Self.controller(initialRate: 1_250_000_000)
        var previous = Double(controller.rateBytesPerSecond)
        for _ in 0..<400 {
            let rate = Double(controller.update(with: Self.ample(markedFraction: 0.25)))
            let expected = max(Self.step, previous * (1 - controller.ecnFraction / 2) + 0.75 * Self.step)
            #expect(abs(rate - expected) <= 1)
            previous = rate
        }
        #expect(abs(controller.ecnFraction - 0.25) < 1e-4)
        // Where the cut r·alpha/2 equals the growth 0.75 step: r = 6 steps.
        #expect(abs(Double(controller.rateBytesPerSecond) - 6 * Self.step) < 0.01 * Self.step)
    }

    @Test("a step s reference intervals long adds s additive steps and weighs F as s intervals would")
    func longStepsCountInReferenceIntervals() throws {
        var stepping = try Self.controller(initialRate: 100 * Self.step)
        var striding = stepping
        _ = stepping.update(with: Self.ample(fastRetransmits: 1))
        _ = striding.update(with: Self.ample(fastRetransmits: 1))
        for _ in 0..<4 { _ = stepping.update(with: Self.ample(markedFraction: 0)) }
        let long = CongestionFeedback(ackedBytes: 4_000_000, intervalNanoseconds: 4 * Self.interval)
        #expect(striding.update(with: long) == stepping.rateBytesPerSecond)
        #expect(striding.rateBytesPerSecond == UInt64(54 * Self.step))
        #expect(abs(striding.ecnFraction - stepping.ecnFraction) < 1e-12)
    }

    @Test("a step lasts at least four full segments at the current rate")
    func slowFlowsStepLonger() throws {
        var controller = try Self.controller(initialRate: Self.step)
        // 6,000 bytes at 10 Mbit/s take 4.8 ms; the RTT policy asks for 80 µs.
        _ = controller.update(with: CongestionFeedback(rttEstimateNanoseconds: 40_000, intervalNanoseconds: Self.interval))
        #expect(controller.controlIntervalNanoseconds == 4_800_000)
    }

    @Test("with time-weighted steps too, an uncongested flow ACKing under half its rate with nothing waiting goes unpaced until an ECN echo")
    func applicationLimitedFlowsGoUnpaced() throws {
        var controller = try Self.controller(initialRate: 100 * Self.step)
        // 625 B in 50 µs: 12.5 MB/s, a tenth of the rate.
        _ = controller.update(with: CongestionFeedback(ackedBytes: 625, intervalNanoseconds: Self.interval))
        #expect(!controller.pacesFlow && controller.queueManagerRate == QueueManager.unlimitedRate)
        _ = controller.update(with: Self.ample(markedFraction: 0.1))
        #expect(controller.pacesFlow && controller.queueManagerRate == controller.rateBytesPerSecond)
    }
}
