import FlexTCPCore
import Testing

/// A discrete-time fluid model of one always-backlogged flow through one bottleneck queue that
/// marks departing bytes with ECN while the queue is above a DCTCP threshold K and drops what does
/// not fit its buffer. ACKs (with their ECN echoes and loss indications) return one base RTT after
/// the data leaves the queue. Time advances in steps of one microsecond.
private struct BottleneckSimulation {
    struct Delivery {
        var bytes: Double = 0
        var markedBytes: Double = 0
        var lost = false
    }

    struct Statistics {
        var deliveredBytes: Double = 0
        var droppedSteps = 0
        var maximumQueueBytes: Double = 0
        var rates: [Double] = []
    }

    static let stepNanoseconds: UInt64 = 1_000
    let capacityBytesPerSecond: Double
    let markingThresholdBytes: Double
    let bufferBytes: Double
    let baseRTTSteps: Int

    var controller: DCTCPRateController
    var queueBytes: Double = 0
    /// Deliveries whose ACKs are still on their way back, indexed by step modulo the base RTT.
    var returning: [Delivery]
    var pending = CongestionFeedback(intervalNanoseconds: 0)
    var now: UInt64 = 0
    var lastUpdate: UInt64 = 0

    init(controller: DCTCPRateController, capacityBytesPerSecond: Double, markingThresholdBytes: Double,
         bufferBytes: Double, baseRTTSteps: Int) {
        self.controller = controller
        self.capacityBytesPerSecond = capacityBytesPerSecond
        self.markingThresholdBytes = markingThresholdBytes
        self.bufferBytes = bufferBytes
        self.baseRTTSteps = baseRTTSteps
        returning = Array(repeating: Delivery(), count: baseRTTSteps)
    }

    /// Runs `steps` microseconds, gathering statistics only from `measureFrom` on.
    mutating func run(steps: Int, measureFrom: Int) -> Statistics {
        var statistics = Statistics()
        let stepSeconds = Double(Self.stepNanoseconds) / 1e9
        for step in 0..<steps {
            let slot = step % baseRTTSteps
            receiveAcknowledgments(returning[slot])
            queueBytes += Double(controller.rateBytesPerSecond) * stepSeconds
            let dropped = queueBytes > bufferBytes
            queueBytes = min(queueBytes, bufferBytes)
            let departing = min(queueBytes, capacityBytesPerSecond * stepSeconds)
            let marked = queueBytes > markingThresholdBytes ? departing : 0
            queueBytes -= departing
            returning[slot] = Delivery(bytes: departing, markedBytes: marked, lost: dropped)
            now += Self.stepNanoseconds
            let updated = runControlLoopIfDue()
            guard step >= measureFrom else { continue }
            statistics.deliveredBytes += departing
            statistics.droppedSteps += dropped ? 1 : 0
            statistics.maximumQueueBytes = max(statistics.maximumQueueBytes, queueBytes)
            if updated { statistics.rates.append(Double(controller.rateBytesPerSecond)) }
        }
        return statistics
    }

    private mutating func receiveAcknowledgments(_ delivery: Delivery) {
        pending.ackedBytes += UInt64(delivery.bytes.rounded())
        pending.ecnMarkedBytes += UInt64(delivery.markedBytes.rounded())
        pending.fastRetransmits += delivery.lost ? 1 : 0
    }

    private mutating func runControlLoopIfDue() -> Bool {
        guard now - lastUpdate >= controller.controlIntervalNanoseconds else { return false }
        let queueingDelay = queueBytes / capacityBytesPerSecond * 1e9
        pending.rttEstimateNanoseconds = UInt64(baseRTTSteps) * Self.stepNanoseconds + UInt64(queueingDelay)
        pending.intervalNanoseconds = now - lastUpdate
        _ = controller.update(with: pending)
        pending = CongestionFeedback(intervalNanoseconds: 0)
        lastUpdate = now
        return true
    }
}

@Suite("Rate-based DCTCP on a simulated bottleneck")
struct DCTCPSimulationTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var capacityMegabitsPerSecond: Double
        var markingThresholdBytes: Double
        var baseRTTMicroseconds: Int
        var testDescription: String {
            "\(Int(capacityMegabitsPerSecond)) Mbit/s, K = \(Int(markingThresholdBytes)) B, RTT \(baseRTTMicroseconds) µs"
        }
    }

    /// With the default configuration (10 Mbit/s additive step) and marking thresholds in DCTCP's
    /// usual range. Each ECN episode lasts several intervals (a rate cut drains the queue only
    /// slowly), so successive cuts compound and the rate swings well below capacity before
    /// climbing back: these bounds leave room for that sawtooth but fail if the rate does not
    /// settle around capacity, if the queue is not held near K, or if anything is dropped.
    @Test("one flow converges to a rate oscillating around the bottleneck capacity", arguments: [
        Scenario(capacityMegabitsPerSecond: 10_000, markingThresholdBytes: 65_000, baseRTTMicroseconds: 20),
        Scenario(capacityMegabitsPerSecond: 1_000, markingThresholdBytes: 30_000, baseRTTMicroseconds: 50),
    ])
    func convergesToCapacity(scenario: Scenario) throws {
        let capacity = RateUnit.bytesPerSecond(megabitsPerSecond: scenario.capacityMegabitsPerSecond)
        let configuration = try DCTCPConfiguration(
            maximumRateBytesPerSecond: RateUnit.bytesPerSecond(megabitsPerSecond: 40_000))
        var simulation = BottleneckSimulation(
            controller: DCTCPRateController(configuration: configuration), capacityBytesPerSecond: capacity,
            markingThresholdBytes: scenario.markingThresholdBytes, bufferBytes: 10 * scenario.markingThresholdBytes,
            baseRTTSteps: scenario.baseRTTMicroseconds)
        // 100 ms of virtual time; measure the last 30 ms, long after slow start.
        let statistics = simulation.run(steps: 100_000, measureFrom: 70_000)

        let utilization = statistics.deliveredBytes / (capacity * 0.030)
        let rates = statistics.rates.map { $0 / capacity }
        let meanRate = rates.reduce(0, +) / Double(rates.count)
        #expect(!simulation.controller.isInSlowStart)
        #expect(statistics.droppedSteps == 0)
        #expect(utilization > 0.9)
        #expect(abs(meanRate - 1) < 0.12)
        #expect(try #require(rates.min()) > 0.55)
        #expect(try #require(rates.max()) < 1.2)
        #expect(rates.contains { $0 > 1 } && rates.contains { $0 < 1 })
        #expect(statistics.maximumQueueBytes < 2 * scenario.markingThresholdBytes)
        #expect(statistics.maximumQueueBytes > scenario.markingThresholdBytes)
    }
}
