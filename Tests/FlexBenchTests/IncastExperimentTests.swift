import FlexBench
import Foundation
import Testing

@Suite("Incast experiment (virtual time)")
struct IncastExperimentTests {
    /// 4 hosts × 2 connections over 1 Gbit/s links for 120 ms: with the appendix's per-step DCTCP law
    /// the first connections took 3–4× their share and the rest sat near the 10 Mbit/s minimum
    /// (median/fair 0.18, p99/median 21).
    static func smallIncast() throws -> IncastResult {
        var experiment = IncastExperiment()
        experiment.senderHosts = 4
        experiment.connectionsPerHost = 2
        experiment.fabric.linkBitsPerSecond = 1_000_000_000
        experiment.durationNanoseconds = 120_000_000
        experiment.warmUpNanoseconds = 40_000_000
        experiment.windowNanoseconds = 40_000_000
        experiment.fabric.seed = 7
        return try experiment.run()
    }

    @Test("DCTCP shares the receiver's port fairly, keeps its queue near K without drops, and every byte arrives intact")
    func fairAndBounded() throws {
        let result = try Self.smallIncast()
        #expect(result.windowRates.count == 2 && result.windowRates.allSatisfy { $0.count == 8 })
        #expect(result.medianOverFair > 0.8 && result.medianOverFair < 1.2, "\(result.report)")
        #expect(result.p99OverMedian <= 3, "\(result.report)")
        #expect(result.utilization > 0.8, "\(result.report)")
        #expect(result.marked > 0 && result.droppedByQueue == 0, "\(result.report)")
        #expect(result.maximumQueuePackets <= 3 * result.settings.fabric.ecnThresholdPackets, "\(result.report)")
        #expect(result.corruptions == 0 && result.bytesDelivered > 10_000_000)
        let json = try #require(try JSONSerialization.jsonObject(with: result.jsonObject) as? [String: Any])
        for key in ["median_over_fair", "p99_over_median", "max_queue_packets", "ecn_threshold_packets"] { #expect(json[key] != nil, "\(key)") }
        #expect(result.throughputChart.render().contains("<polyline"))
    }

    @Test("Settings that cannot run are refused with what to change, before any host starts")
    func refusesInconsistentSettings() {
        var incast = IncastExperiment()
        incast.windowNanoseconds = 15_000_000
        #expect(throws: ExperimentSetupError.self) { try incast.run() }
        var loss = LossExperiment()
        loss.durationNanoseconds = loss.warmUpNanoseconds
        #expect(throws: ExperimentSetupError.self) { try loss.run() }
    }
}

@Suite("Loss experiment (virtual time)")
struct LossExperimentTests {
    @Test("Random loss on the data direction: every byte still arrives intact, SACK recovery resends about what was dropped, the penalty is reported")
    func lossPenalty() throws {
        var experiment = LossExperiment()
        experiment.flows = 8
        experiment.fabric.linkBitsPerSecond = 1_000_000_000
        experiment.lossPercents = [1]
        experiment.durationNanoseconds = 80_000_000
        experiment.warmUpNanoseconds = 20_000_000
        let result = try experiment.run()
        let run = try #require(result.runs.first)
        #expect(result.baseline.dropped == 0 && run.dropped > 0)
        #expect(run.corruptions == 0 && result.baseline.corruptions == 0)
        // Go-back-N resent several times what was dropped; SACK recovery resends the holes (and a
        // lost retransmission after a timeout).
        #expect(run.fastRetransmits > 0 && Double(run.segmentsRetransmitted) <= 1.5 * Double(run.dropped), "\(result.report)")
        #expect(result.baseline.goodputBitsPerSecond > 0.8e9, "\(result.report)")
        #expect(result.penaltyPercent(run) < 100 && run.goodputBitsPerSecond > 0)
        let json = try #require(try JSONSerialization.jsonObject(with: result.jsonObject) as? [String: Any])
        #expect(abs(try #require(json["penalty_percent"] as? Double) - result.penaltyPercent(run)) < 1e-9)
    }
}
