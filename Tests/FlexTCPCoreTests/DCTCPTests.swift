import FlexTCPCore
import Testing

@Suite("Rate-based DCTCP control law")
struct DCTCPTests {
    /// 10 Mbit/s: the default initial rate, additive step and minimum rate.
    static let step: Double = 1_250_000
    /// The control interval the tests feed: 100 µs.
    static let interval: UInt64 = 100_000

    static func controller(
        initialRate: Double = step, maximumRate: Double = 1_250_000_000
    ) throws -> DCTCPRateController {
        DCTCPRateController(configuration: try DCTCPConfiguration(
            maximumRateBytesPerSecond: maximumRate, initialRateBytesPerSecond: initialRate))
    }

    /// Feedback of an interval in which the flow sent at its full rate and all of it was ACKed.
    static func fullUse(
        _ controller: DCTCPRateController, markedFraction: Double = 0, fastRetransmits: UInt32 = 0,
        timeouts: UInt32 = 0
    ) -> CongestionFeedback {
        let acked = controller.rateBytesPerSecond * interval / 1_000_000_000
        return CongestionFeedback(
            ackedBytes: acked, ecnMarkedBytes: UInt64(Double(acked) * markedFraction),
            fastRetransmits: fastRetransmits, retransmissionTimeouts: timeouts, intervalNanoseconds: interval)
    }

    /// Feedback with a fixed ACK rate of 10 GB/s, far above any rate here, so the ACK-rate clamp
    /// never binds.
    static func ample(markedFraction: Double = 0, fastRetransmits: UInt32 = 0) -> CongestionFeedback {
        CongestionFeedback(
            ackedBytes: 1_000_000, ecnMarkedBytes: UInt64(1_000_000 * markedFraction),
            fastRetransmits: fastRetransmits, intervalNanoseconds: interval)
    }

    @Test("slow start doubles the rate every interval until the maximum")
    func slowStartDoubles() throws {
        var controller = try Self.controller()
        for doublings in 1...9 {
            #expect(controller.update(with: Self.fullUse(controller)) == UInt64(Self.step) << doublings)
            #expect(controller.isInSlowStart)
        }
        #expect(controller.update(with: Self.fullUse(controller)) == 1_250_000_000)
        #expect(controller.update(with: Self.fullUse(controller)) == 1_250_000_000)
        #expect(controller.isInSlowStart)
    }

    @Test("the first ECN echo ends slow start with a DCTCP decrease, then the rate grows additively")
    func slowStartEndsOnECN() throws {
        var controller = try Self.controller()
        for _ in 1...3 { _ = controller.update(with: Self.fullUse(controller)) }
        // Alpha started at 1 and decayed over three unmarked intervals; now half the bytes are marked.
        let decayed = 1.0 * (15.0 / 16) * (15.0 / 16) * (15.0 / 16)
        let alpha = decayed + (0.5 - decayed) / 16
        let decreased = 8 * Self.step * (1 - alpha / 2)
        #expect(controller.update(with: Self.fullUse(controller, markedFraction: 0.5)) == UInt64(decreased.rounded()))
        #expect(!controller.isInSlowStart)
        #expect(abs(controller.ecnFraction - alpha) < 1e-12)
        #expect(controller.update(with: Self.ample()) == UInt64((decreased + Self.step).rounded()))
    }

    @Test("a fast retransmit or a timeout ends slow start by halving", arguments: [(1, 0), (0, 1), (3, 2)] as [(UInt32, UInt32)])
    func slowStartEndsOnLoss(fastRetransmits: UInt32, timeouts: UInt32) throws {
        var controller = try Self.controller()
        for _ in 1...3 { _ = controller.update(with: Self.fullUse(controller)) }
        let lossy = Self.fullUse(controller, fastRetransmits: fastRetransmits, timeouts: timeouts)
        #expect(controller.update(with: lossy) == UInt64(4 * Self.step))
        #expect(!controller.isInSlowStart)
        #expect(controller.update(with: Self.fullUse(controller)) == UInt64(5 * Self.step))
    }

    @Test("outside slow start each clean interval adds the additive step")
    func additiveIncrease() throws {
        var controller = try Self.controller(initialRate: 100 * Self.step)
        _ = controller.update(with: Self.ample(fastRetransmits: 1))
        for steps in 1...20 {
            #expect(controller.update(with: Self.ample()) == UInt64((50 + Double(steps)) * Self.step))
        }
    }

    @Test("under constant marking alpha converges to the marked fraction and each step cuts alpha/2")
    func ecnFractionConverges() throws {
        var controller = try Self.controller(initialRate: 1_250_000_000)
        var previous = Double(controller.rateBytesPerSecond)
        for _ in 0..<200 {
            let rate = Double(controller.update(with: Self.ample(markedFraction: 0.25)))
            let expected = max(Self.step, previous * (1 - controller.ecnFraction / 2))
            #expect(abs(rate - expected) <= 1)
            previous = rate
        }
        #expect(abs(controller.ecnFraction - 0.25) < 1e-4)
        #expect(controller.rateBytesPerSecond == UInt64(Self.step))
    }

    @Test("a loss halves the rate even when ECN echoes arrive too")
    func lossHalves() throws {
        var controller = try Self.controller(initialRate: 64 * Self.step)
        _ = controller.update(with: Self.ample(fastRetransmits: 1))
        let alphaBefore = controller.ecnFraction
        #expect(controller.update(with: Self.ample(markedFraction: 1, fastRetransmits: 1)) == UInt64(16 * Self.step))
        #expect(controller.ecnFraction > alphaBefore)
        #expect(controller.update(with: CongestionFeedback(retransmissionTimeouts: 1, intervalNanoseconds: Self.interval))
            == UInt64(8 * Self.step))
    }

    @Test("the rate never leaves the configured bounds")
    func bounds() throws {
        var controller = try Self.controller(initialRate: 8 * Self.step, maximumRate: 100 * Self.step)
        for _ in 0..<10 {
            #expect(controller.update(with: Self.ample(markedFraction: 1, fastRetransmits: 1)) >= UInt64(Self.step))
        }
        #expect(controller.rateBytesPerSecond == UInt64(Self.step))
        for _ in 0..<200 {
            #expect(controller.update(with: Self.ample()) <= UInt64(100 * Self.step))
        }
        #expect(controller.rateBytesPerSecond == UInt64(100 * Self.step))
    }

    @Test("the rate is clamped to 1.2 times the measured ACK rate before it grows")
    func ackRateClamp() throws {
        var controller = try Self.controller(initialRate: 100 * Self.step)
        // ACKs arrive at 10 × step: the first EWMA sample is 1/8 of that, so the instantaneous rate
        // governs; the clamp gives 12 × step, then slow start doubles.
        let slow = CongestionFeedback(ackedBytes: 1_250, intervalNanoseconds: Self.interval)
        #expect(controller.update(with: slow) == UInt64(24 * Self.step))
        #expect(controller.smoothedAckRateBytesPerSecond == 10 * Self.step / 8)
    }

    @Test("in slow start a flow under half its rate goes unpaced, whatever limits it; one using more than its rate is paced again; the first ECN echo paces it for good")
    func unpacedUntilCongestion() throws {
        var controller = try Self.controller(initialRate: 100 * Self.step)
        _ = controller.update(with: Self.fullUse(controller))
        #expect(controller.pacesFlow && controller.queueManagerRate == controller.rateBytesPerSecond)
        // ACKs at 5 × step against a rate of 200 × step: the application, the peer's window or the network limits it.
        let light = CongestionFeedback(ackedBytes: 625, intervalNanoseconds: Self.interval)
        let rateBefore = controller.rateBytesPerSecond
        _ = controller.update(with: light)
        #expect(!controller.pacesFlow && controller.queueManagerRate == QueueManager.unlimitedRate)
        // The rate is still computed (clamped to the ACK rate, doubled).
        #expect(controller.rateBytesPerSecond < rateBefore && controller.isInSlowStart)
        // Using more than its rate: paced at the grown rate while it ramps up.
        _ = controller.update(with: Self.ample())
        #expect(controller.pacesFlow && controller.isInSlowStart)
        _ = controller.update(with: light)
        #expect(!controller.pacesFlow)
        // The first ECN echo paces it at the loop's rate again, for good.
        _ = controller.update(with: Self.ample(markedFraction: 0.1))
        #expect(controller.pacesFlow && controller.queueManagerRate == controller.rateBytesPerSecond)
        _ = controller.update(with: light)
        #expect(controller.pacesFlow)
    }

    @Test("in slow start a flow under half its rate with bytes waiting stays paced (the network holds it: incast before the first echo) unless the peer's window holds it")
    func heldByNetworkStaysPaced() throws {
        var controller = try Self.controller(initialRate: 100 * Self.step)
        _ = controller.update(with: CongestionFeedback(ackedBytes: 625, intervalNanoseconds: Self.interval, hasBytesWaiting: true))
        #expect(controller.pacesFlow && controller.queueManagerRate == controller.rateBytesPerSecond)
        _ = controller.update(with: CongestionFeedback(ackedBytes: 625, intervalNanoseconds: Self.interval, hasBytesWaiting: true, isWindowLimited: true))
        #expect(!controller.pacesFlow && controller.queueManagerRate == QueueManager.unlimitedRate)
    }

    @Test("a flow starts from ten segments per handshake RTT, and slow start never falls below that")
    func initialWindow() throws {
        var controller = try Self.controller()
        controller.begin(roundTripNanoseconds: 20_000, maximumSegmentBytes: 1_448)
        // 14,480 bytes per 20 µs.
        #expect(controller.rateBytesPerSecond == 724_000_000)
        #expect(controller.controlIntervalNanoseconds == 50_000)
        // An RPC-like flow: ACKs at 1 MB/s; the clamp would take the rate far lower.
        _ = controller.update(with: CongestionFeedback(ackedBytes: 100, rttEstimateNanoseconds: 20_000, intervalNanoseconds: Self.interval))
        #expect(controller.rateBytesPerSecond == 724_000_000 && !controller.pacesFlow)
        // Without a handshake RTT, the configured initial rate until the first estimate.
        var unmeasured = try Self.controller()
        unmeasured.begin(roundTripNanoseconds: 0, maximumSegmentBytes: 1_448)
        #expect(unmeasured.rateBytesPerSecond == UInt64(Self.step))
        _ = unmeasured.update(with: CongestionFeedback(rttEstimateNanoseconds: 40_000, intervalNanoseconds: Self.interval))
        #expect(unmeasured.rateBytesPerSecond == 362_000_000)
    }

    @Test("the smoothed ACK rate keeps one slow interval from collapsing the rate")
    func smoothedAckRate() throws {
        var controller = try Self.controller(initialRate: 100 * Self.step)
        _ = controller.update(with: Self.fullUse(controller, timeouts: 1))
        let steady = CongestionFeedback(ackedBytes: 12_500, intervalNanoseconds: Self.interval)
        for _ in 0..<300 { _ = controller.update(with: steady) }
        // ACKs at 100 × step: the rate settles at the clamp plus one additive step.
        #expect(abs(controller.smoothedAckRateBytesPerSecond - 100 * Self.step) < 1)
        #expect(controller.rateBytesPerSecond == UInt64(121 * Self.step))
        let dip = CongestionFeedback(ackedBytes: 1_250, intervalNanoseconds: Self.interval)
        let smoothed = controller.smoothedAckRateBytesPerSecond + (10 * Self.step - controller.smoothedAckRateBytesPerSecond) / 8
        #expect(controller.update(with: dip) == UInt64((1.2 * smoothed + Self.step).rounded()))
    }

    @Test("an interval without ACKed data holds the rate unless something was lost")
    func idleInterval() throws {
        var controller = try Self.controller()
        for _ in 1...4 { _ = controller.update(with: Self.fullUse(controller)) }
        let smoothed = controller.smoothedAckRateBytesPerSecond
        let alpha = controller.ecnFraction
        for _ in 0..<5 {
            #expect(controller.update(with: CongestionFeedback(intervalNanoseconds: Self.interval)) == UInt64(16 * Self.step))
        }
        #expect(controller.isInSlowStart)
        #expect(controller.smoothedAckRateBytesPerSecond == smoothed)
        #expect(controller.ecnFraction == alpha)
        #expect(controller.update(with: CongestionFeedback(retransmissionTimeouts: 1, intervalNanoseconds: Self.interval))
            == UInt64(8 * Self.step))
        #expect(!controller.isInSlowStart)
    }

    @Test("the control interval is two RTT estimates with a 50 µs floor")
    func controlInterval() throws {
        var controller = try Self.controller()
        #expect(controller.controlIntervalNanoseconds == 50_000)
        _ = controller.update(with: CongestionFeedback(rttEstimateNanoseconds: 40_000, intervalNanoseconds: Self.interval))
        #expect(controller.controlIntervalNanoseconds == 80_000)
        _ = controller.update(with: CongestionFeedback(intervalNanoseconds: Self.interval))
        #expect(controller.controlIntervalNanoseconds == 80_000)
        _ = controller.update(with: CongestionFeedback(rttEstimateNanoseconds: 10_000, intervalNanoseconds: Self.interval))
        #expect(controller.controlIntervalNanoseconds == 50_000)
    }

    @Test("inconsistent or extreme counters neither trap nor leave the bounds")
    func hostileCounters() throws {
        var controller = try Self.controller()
        let samples = [
            CongestionFeedback(ackedBytes: 10, ecnMarkedBytes: 1_000, intervalNanoseconds: Self.interval),
            CongestionFeedback(ackedBytes: .max, ecnMarkedBytes: .max, intervalNanoseconds: 1),
            CongestionFeedback(ackedBytes: .max, intervalNanoseconds: 0),
            CongestionFeedback(ackedBytes: 1, intervalNanoseconds: .max),
            CongestionFeedback(
                ackedBytes: .max, fastRetransmits: .max, retransmissionTimeouts: .max, rttEstimateNanoseconds: .max,
                intervalNanoseconds: .max),
        ]
        for feedback in samples {
            let rate = Double(controller.update(with: feedback))
            #expect(controller.configuration.rateBounds.contains(rate))
            #expect((0...1).contains(controller.ecnFraction))
        }
        #expect(controller.controlIntervalNanoseconds == .max)
    }
}
