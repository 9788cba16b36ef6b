import FlexPort
import Foundation

/// The loss-penalty experiment of issue 14: `flows` bulk connections from one host to another over
/// a switch whose port towards the receiver drops data frames at random (`lossPercent`), against
/// the same run without loss: the goodput lost to recovery. ACKs travel without loss.
///
/// Contract: deterministic for the same settings; `run` throws only when connections cannot open.
public struct LossExperiment: Sendable {
    public var flows = 100
    public var lossPercents: [Double] = [1]
    public var fabric = ExperimentFabric()
    public var durationNanoseconds: UInt64 = 300_000_000
    public var warmUpNanoseconds: UInt64 = 100_000_000

    public init() {}

    /// One loss rate's figures.
    public struct Run: Sendable {
        public let lossPercent: Double
        public let goodputBitsPerSecond: Double
        public let dropped: UInt64
        public let fastRetransmits: UInt64
        public let retransmissionTimeouts: UInt64
        public let segmentsRetransmitted: UInt64
        public let corruptions: Int
    }

    /// Runs without loss, then at each of `lossPercents`.
    public func run() throws -> LossResult {
        guard flows >= 1, warmUpNanoseconds > 0, durationNanoseconds > warmUpNanoseconds,
              lossPercents.allSatisfy({ $0 >= 0 && $0 < 100 }) else {
            throw ExperimentSetupError.invalidSettings("give at least one flow, loss rates in 0 ..< 100 %, and a duration longer than a warm-up above 0")
        }
        let baseline = try run(lossPercent: 0)
        return LossResult(settings: self, baseline: baseline, runs: try lossPercents.map { try run(lossPercent: $0) })
    }

    private func run(lossPercent: Double) throws -> Run {
        let sample = durationNanoseconds - warmUpNanoseconds
        var experiment = BulkExperiment(senderHosts: 1, connectionsPerHost: flows, fabric: fabric, durationNanoseconds: durationNanoseconds,
                                        warmUpNanoseconds: warmUpNanoseconds, sampleNanoseconds: warmUpNanoseconds)
        experiment.lossTowardsReceiver = lossPercent / 100
        let outcome = try experiment.run()
        let measured = outcome.samples.last!.reduce(0, &+) &- outcome.samples[1].reduce(0, &+)
        return Run(lossPercent: lossPercent, goodputBitsPerSecond: Double(measured) * 8 / (Double(sample) / 1e9),
                   dropped: outcome.bottleneck.emulatorStatistics.droppedByLoss, fastRetransmits: outcome.fastRetransmits,
                   retransmissionTimeouts: outcome.retransmissionTimeouts, segmentsRetransmitted: outcome.segmentsRetransmitted,
                   corruptions: outcome.corruptions)
    }
}

/// What `LossExperiment.run` measured.
public struct LossResult: Sendable {
    public let settings: LossExperiment
    public let baseline: LossExperiment.Run
    public let runs: [LossExperiment.Run]

    /// Goodput lost to `run`'s loss, in percent of the lossless goodput.
    public func penaltyPercent(_ run: LossExperiment.Run) -> Double {
        baseline.goodputBitsPerSecond > 0 ? (1 - run.goodputBitsPerSecond / baseline.goodputBitsPerSecond) * 100 : 0
    }

    public var report: String {
        var lines = ["no loss: goodput \(String(format: "%.3f", baseline.goodputBitsPerSecond / 1e9)) Gbit/s"]
        lines.append("loss %   goodput Gbit/s   penalty %   dropped   retransmitted   fast retransmits   timeouts   bytes")
        for run in runs {
            lines.append(String(format: "%6.2f   %14.3f   %9.2f   %7d   %13d   %16d   %8d   %@", run.lossPercent, run.goodputBitsPerSecond / 1e9,
                                penaltyPercent(run), run.dropped, run.segmentsRetransmitted, run.fastRetransmits, run.retransmissionTimeouts,
                                run.corruptions == 0 && baseline.corruptions == 0 ? "intact" : "CORRUPT"))
        }
        return lines.joined(separator: "\n")
    }

    /// The figures as JSON; `penalty_percent` at the top when one loss rate was run.
    public var jsonObject: Data {
        var object: [String: Any] = [
            "experiment": "loss", "flows": settings.flows, "link_bits_per_second": settings.fabric.linkBitsPerSecond,
            "baseline_goodput_bits_per_second": baseline.goodputBitsPerSecond,
            "runs": runs.map { run -> [String: Any] in
                ["loss_percent": run.lossPercent, "penalty_percent": penaltyPercent(run), "goodput_bits_per_second": run.goodputBitsPerSecond,
                 "dropped": run.dropped, "segments_retransmitted": run.segmentsRetransmitted, "fast_retransmits": run.fastRetransmits, "retransmission_timeouts": run.retransmissionTimeouts,
                 "corrupt_reads": run.corruptions]
            },
        ]
        if runs.count == 1 { object["penalty_percent"] = penaltyPercent(runs[0]) }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// Penalty against loss rate.
    public var penaltyChart: SVGLineChart {
        var chart = SVGLineChart(title: "Loss penalty: \(settings.flows) flows, \(Double(settings.fabric.linkBitsPerSecond) / 1e9) Gbit/s",
                                 xLabel: "random loss (%)", yLabel: "goodput penalty (%)")
        chart.series = [SVGLineChart.Series(name: "FlexTCP", points: runs.map { (x: $0.lossPercent, y: penaltyPercent($0)) })]
        return chart
    }
}
