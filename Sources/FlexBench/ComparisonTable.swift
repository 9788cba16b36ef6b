import Foundation

/// The summary of runs: per system the median of its repetitions, and against its baseline
/// (`BenchmarkSystem.baselineName`) the ratios that matter — throughput per core (higher is better
/// for FlexTCP) and median latency (lower is better).
public struct ComparisonTable {
    /// One system's medians.
    public struct Row: Equatable {
        public let system: String
        public let runs: Int
        public let rpcsPerSecond: Double
        public let gigabitsPerSecond: Double
        public let cores: Double
        public let rpcsPerSecondPerCore: Double
        public let cpuSecondsPerMillion: Double
        public let p50: Double?
        public let p99: Double?
        public let errors: UInt64
        /// Per-core throughput divided by the baseline's (nil: no baseline in the results).
        public var perCoreRatio: Double?
        /// Median latency divided by the baseline's.
        public var latencyRatio: Double?
    }

    public let rows: [Row]

    /// `baselines` maps a system name to the name of the system it is compared with.
    public init(results: [RunResult], baselines: [String: String]) {
        var order: [String] = []
        var bySystem: [String: [RunResult]] = [:]
        for result in results {
            if bySystem[result.system] == nil { order.append(result.system) }
            bySystem[result.system, default: []].append(result)
        }
        var rows = order.map { system in Self.row(system, bySystem[system] ?? []) }
        for index in rows.indices {
            guard let baselineName = baselines[rows[index].system],
                  let baseline = rows.first(where: { $0.system == baselineName }) else { continue }
            if baseline.rpcsPerSecondPerCore > 0 { rows[index].perCoreRatio = rows[index].rpcsPerSecondPerCore / baseline.rpcsPerSecondPerCore }
            if let p50 = rows[index].p50, let baseP50 = baseline.p50, baseP50 > 0 { rows[index].latencyRatio = p50 / baseP50 }
        }
        self.rows = rows
    }

    static func row(_ system: String, _ runs: [RunResult]) -> Row {
        let latencies = runs.compactMap(\.latency)
        return Row(system: system, runs: runs.count,
                   rpcsPerSecond: median(runs.map(\.rpcsPerSecond)),
                   gigabitsPerSecond: median(runs.map(\.gigabitsPerSecond)),
                   cores: median(runs.map(\.cores)),
                   rpcsPerSecondPerCore: median(runs.map(\.rpcsPerSecondPerCore)),
                   cpuSecondsPerMillion: median(runs.map(\.cpuSecondsPerMillion)),
                   p50: latencies.isEmpty ? nil : median(latencies.map(\.p50)),
                   p99: latencies.isEmpty ? nil : median(latencies.map(\.p99)),
                   errors: runs.reduce(0) { $0 &+ $1.errors })
    }

    /// The middle value (mean of the two middle ones for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The table as aligned text.
    public var text: String {
        let header = ["system", "runs", "msg/s", "Gbit/s", "cores", "msg/s/core", "CPU s/M", "p50 us", "p99 us", "errors",
                      "per-core ×", "p50 ×"]
        var lines = [header]
        for row in rows {
            lines.append([row.system, String(row.runs), Self.format(row.rpcsPerSecond), Self.format(row.gigabitsPerSecond),
                          Self.format(row.cores), Self.format(row.rpcsPerSecondPerCore), Self.format(row.cpuSecondsPerMillion),
                          row.p50.map(Self.format) ?? "-", row.p99.map(Self.format) ?? "-", String(row.errors),
                          row.perCoreRatio.map { Self.format($0) + "x" } ?? "-", row.latencyRatio.map { Self.format($0) + "x" } ?? "-"])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Three significant digits (no exponent for the magnitudes a benchmark prints).
    static func format(_ value: Double) -> String {
        if value >= 1000 { return String(format: "%.0f", value) }
        if value >= 100 { return String(format: "%.1f", value) }
        if value >= 10 { return String(format: "%.2f", value) }
        return String(format: "%.3f", value)
    }
}
