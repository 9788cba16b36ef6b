import Foundation

/// What `IntervalExperiment.run` measured: per run, each flow's completion time.
public struct IntervalResult: Sendable {
    public let settings: IntervalExperiment
    /// Each flow's size in bytes, by flow id.
    public let flowBytes: [Int]
    public let runs: [IntervalExperiment.Run]

    /// One size class's completion times in one run.
    public struct ClassFigures: Sendable {
        public let label: String
        public let flows: Int
        public let completed: Int
        public let p50Microseconds: Double
        public let p99Microseconds: Double
    }

    /// The size classes' labels, smallest first (`sizeClassBounds` and one class above the last).
    public var classLabels: [String] {
        let bounds = settings.sizeClassBounds
        return bounds.indices.map { index in
            index == 0 ? "< \(Self.bytes(bounds[0]))" : "\(Self.bytes(bounds[index - 1]))–\(Self.bytes(bounds[index]))"
        } + ["≥ \(Self.bytes(bounds.last ?? 0))"]
    }

    /// The class of a flow of `bytes`.
    func sizeClass(of bytes: Int) -> Int { settings.sizeClassBounds.firstIndex { bytes < $0 } ?? settings.sizeClassBounds.count }

    /// Per size class (and, last, all flows), the run's completion-time percentiles over completed flows.
    public func figures(_ run: IntervalExperiment.Run) -> [ClassFigures] {
        var times = [[Double]](repeating: [], count: classLabels.count + 1)
        var counts = [Int](repeating: 0, count: classLabels.count + 1)
        for (id, bytes) in flowBytes.enumerated() {
            let sizeClass = sizeClass(of: bytes)
            counts[sizeClass] += 1
            counts[classLabels.count] += 1
            guard let nanoseconds = run.completionNanoseconds[id] else { continue }
            times[sizeClass].append(Double(nanoseconds) / 1000)
            times[classLabels.count].append(Double(nanoseconds) / 1000)
        }
        return (classLabels + ["all"]).enumerated().map { index, label in
            let sorted = times[index].sorted()
            return ClassFigures(label: label, flows: counts[index], completed: sorted.count,
                                p50Microseconds: Percentile.of(sorted, 0.5), p99Microseconds: Percentile.of(sorted, 0.99))
        }
    }

    /// Flows that did not complete, over all runs.
    public var incompleteFlows: Int { runs.reduce(0) { $0 + $1.completionNanoseconds.filter { $0 == nil }.count } }

    public var report: String {
        let workload = settings.workload
        var lines = [String(format: "%d flows, Pareto shape %.2f, mean %.0f B before the cap of %.0f B (%.0f B after; smallest %.0f B), load %.0f%% of %.1f Gbit/s",
                            flowBytes.count, settings.paretoShape, settings.meanFlowBytes, settings.maximumFlowBytes, workload.cappedMeanBytes,
                            workload.minimumBytes, settings.load * 100, Double(settings.fabric.linkBitsPerSecond) / 1e9)]
        lines.append("FCT p50 / p99 in µs per flow size (flows per class: "
                     + zip(classLabels, figures(runs[0]).map(\.flows)).map { "\($0) \($1)" }.joined(separator: ", ") + ")")
        lines.append((["algorithm", "interval"] + (classLabels + ["all"]) + ["queue max", "drops", "RTOs", "bytes"]).joined(separator: " | "))
        for run in runs {
            let classes = figures(run).map { figure in
                figure.completed == figure.flows ? String(format: "%.0f / %.0f", figure.p50Microseconds, figure.p99Microseconds)
                    : String(format: "%.0f / %.0f (%d missing)", figure.p50Microseconds, figure.p99Microseconds, figure.flows - figure.completed)
            }
            lines.append(([run.algorithm.rawValue, "\(SVGLineChart.format(run.roundTripMultiple))× RTT"] + classes
                          + ["\(run.maximumQueuePackets)", "\(run.droppedByQueue)", "\(run.retransmissionTimeouts)", run.corruptions == 0 ? "intact" : "CORRUPT"])
                .joined(separator: " | "))
        }
        return lines.joined(separator: "\n")
    }

    /// One line per (run, size class): algorithm, interval, class, flows, completed, p50 and p99 in µs.
    public var csv: String {
        var lines = ["algorithm,interval_rtts,size_class,flows,completed,p50_us,p99_us,max_queue_packets,dropped,retransmission_timeouts"]
        for run in runs {
            for figure in figures(run) {
                lines.append("\(run.algorithm.rawValue),\(run.roundTripMultiple),\"\(figure.label)\",\(figure.flows),\(figure.completed),"
                             + "\(figure.p50Microseconds),\(figure.p99Microseconds),\(run.maximumQueuePackets),\(run.droppedByQueue),\(run.retransmissionTimeouts)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public var jsonObject: Data {
        let object: [String: Any] = [
            "experiment": "interval", "flows": flowBytes.count, "load": settings.load, "link_bits_per_second": settings.fabric.linkBitsPerSecond,
            "pareto_shape": settings.paretoShape, "mean_flow_bytes": settings.meanFlowBytes, "maximum_flow_bytes": settings.maximumFlowBytes,
            "runs": runs.map { run -> [String: Any] in
                ["algorithm": run.algorithm.rawValue, "interval_rtts": run.roundTripMultiple, "max_queue_packets": run.maximumQueuePackets,
                 "dropped": run.droppedByQueue, "marked": run.marked, "retransmission_timeouts": run.retransmissionTimeouts,
                 "corrupt_reads": run.corruptions, "flows_queued_for_a_connection": run.queuedFlows,
                 "classes": figures(run).map { ["size_class": $0.label, "flows": $0.flows, "completed": $0.completed,
                                                "p50_us": $0.p50Microseconds, "p99_us": $0.p99Microseconds] }]
            },
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// p99 completion time against the control interval, per algorithm and size class (the largest
    /// class, a handful of flows, left out).
    public var completionChart: SVGLineChart {
        var chart = SVGLineChart(title: "FCT p99 vs control interval: Pareto flows at \(Int(settings.load * 100))% load",
                                 xLabel: "control interval (RTT estimates)", yLabel: "p99 flow completion time (µs)")
        let classes = classLabels.count - 1
        for algorithm in settings.algorithms {
            let algorithmRuns = runs.filter { $0.algorithm == algorithm }
            for sizeClass in 0..<classes {
                chart.series.append(SVGLineChart.Series(
                    name: "\(algorithm.rawValue) \(classLabels[sizeClass])",
                    points: algorithmRuns.map { (x: $0.roundTripMultiple, y: figures($0)[sizeClass].p99Microseconds) }))
            }
        }
        return chart
    }

    static func bytes(_ count: Int) -> String {
        count >= 1 << 20 && count % (1 << 20) == 0 ? "\(count >> 20) MiB" : count >= 1024 && count % 1024 == 0 ? "\(count >> 10) KiB" : "\(count) B"
    }
}
