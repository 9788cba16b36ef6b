import Foundation

extension IncastResult {
    /// The figures, one per line, for a person.
    public var report: String {
        let fair = fairShareBitsPerSecond / 1e6
        return """
        fair share \(String(format: "%.1f", fair)) Mbit/s per connection (payload), \(windowRates.count) windows × \(settings.connections) connections
        median/fair \(String(format: "%.3f", medianOverFair))   p99/median \(String(format: "%.3f", p99OverMedian))   min/fair \(String(format: "%.3f", minimumOverFair))   utilization \(String(format: "%.3f", utilization))
        bottleneck queue: max \(maximumQueuePackets) packets after warm-up (\(maximumQueuePacketsIncludingWarmUp) including it), K = \(settings.fabric.ecnThresholdPackets); \(marked) marked, \(droppedByQueue) dropped
        delivered \(bytesDelivered) bytes, \(corruptions == 0 ? "all intact" : "\(corruptions) CORRUPT reads")
        """
    }

    /// The figures as JSON (field names in snake case).
    public var jsonObject: Data {
        let object: [String: Any] = [
            "experiment": "incast", "sender_hosts": settings.senderHosts, "connections_per_host": settings.connectionsPerHost,
            "link_bits_per_second": settings.fabric.linkBitsPerSecond, "ecn_threshold_packets": settings.fabric.ecnThresholdPackets,
            "fair_share_bits_per_second": fairShareBitsPerSecond, "median_over_fair": medianOverFair, "p99_over_median": p99OverMedian,
            "min_over_fair": minimumOverFair, "utilization": utilization, "max_queue_packets": maximumQueuePackets,
            "max_queue_packets_including_warm_up": maximumQueuePacketsIncludingWarmUp, "marked": marked, "dropped": droppedByQueue,
            "bytes_delivered": bytesDelivered, "corrupt_reads": corruptions, "window_rates_bits_per_second": windowRates,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// Each connection's goodput per sample interval over time, with the fair share.
    public var throughputChart: SVGLineChart {
        var chart = SVGLineChart(title: "Incast: \(settings.senderHosts) hosts × \(settings.connectionsPerHost) connections, K = \(settings.fabric.ecnThresholdPackets)",
                                 xLabel: "virtual time (ms)", yLabel: "goodput per connection (Mbit/s)")
        let step = Double(settings.sampleNanoseconds) / 1e6
        chart.series = (0..<settings.connections).map { connection in
            SVGLineChart.Series(name: "connection \(connection)",
                                points: sampleRates.enumerated().map { (x: Double($0.offset + 1) * step, y: $0.element[connection] / 1e6) })
        }
        chart.references = [("fair share", fairShareBitsPerSecond / 1e6)]
        return chart
    }
}
