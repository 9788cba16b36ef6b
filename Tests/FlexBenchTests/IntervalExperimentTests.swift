import FlexBench
import Foundation
import Testing

@Suite("Control-interval experiment (virtual time)")
struct IntervalExperimentTests {
    /// About 150 Pareto flows (mean 16 KiB, capped at 256 KiB) arriving over 2 ms at 75% of 10 Gbit/s,
    /// 4 hosts × 8 connections, the shortest and a long interval for each algorithm.
    static func shortRun() -> IntervalExperiment {
        var experiment = IntervalExperiment()
        experiment.roundTripMultiples = [0.5, 4]
        experiment.connectionsPerHost = 8
        experiment.meanFlowBytes = 16_384
        experiment.maximumFlowBytes = 262_144
        experiment.arrivalNanoseconds = 2_000_000
        experiment.drainNanoseconds = 100_000_000
        experiment.fabric.seed = 3
        return experiment
    }

    @Test("DCTCP and TIMELY at 0.5× and 4× RTT: every flow completes with its bytes intact, the bottleneck queue stays within its buffer, the figures come out as table, CSV, JSON and SVG")
    func everyFlowCompletes() throws {
        let result = try Self.shortRun().run()
        #expect(result.flowBytes.count > 100 && result.runs.count == 4)
        #expect(result.incompleteFlows == 0, "\(result.report)")
        for run in result.runs {
            #expect(run.corruptions == 0, "\(run.algorithm) at \(run.roundTripMultiple)× RTT")
            #expect(run.droppedByQueue == 0 && run.maximumQueuePackets < result.settings.fabric.queueLimitPackets, "\(result.report)")
            #expect(run.maximumQueuePackets > 0)
            let all = try #require(result.figures(run).last)
            #expect(all.completed == result.flowBytes.count && all.p50Microseconds > 0 && all.p99Microseconds >= all.p50Microseconds)
        }
        #expect(result.csv.split(separator: "\n").count == 1 + result.runs.count * (result.settings.sizeClassBounds.count + 2))
        let json = try #require(try JSONSerialization.jsonObject(with: result.jsonObject) as? [String: Any])
        #expect((json["runs"] as? [Any])?.count == 4)
        #expect(result.completionChart.render().contains("<polyline"))
    }

    @Test("The workload is the seed's: the same settings give the same flows, sizes within the Pareto bounds")
    func seededWorkload() throws {
        let first = Self.shortRun()
        var other = first
        other.algorithms = [.dctcp]
        other.roundTripMultiples = [1]
        other.arrivalNanoseconds = 200_000
        let one = try other.run(), two = try other.run()
        #expect(one.flowBytes == two.flowBytes && !one.flowBytes.isEmpty)
        #expect(one.runs[0].completionNanoseconds == two.runs[0].completionNanoseconds)
        #expect(one.flowBytes.allSatisfy { $0 >= 16_384 / 6 && $0 <= 262_144 })
        var bad = first
        bad.paretoShape = 1
        #expect(throws: ExperimentSetupError.self) { try bad.run() }
    }
}
