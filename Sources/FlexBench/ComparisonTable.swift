import Foundation

/// The summary of runs: per system the median of its repetitions, and against its baselines
/// (`BenchmarkSystem.baselineNames`) the ratios that matter, each against the best baseline in the
/// results for that metric — throughput per core against the highest, median latency against the
/// lowest — naming which baseline that was. Every row says the cross-core state its runs saw.
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
        /// Median cross-core round trip of the runs (nil: none measured).
        public let coreRoundTrip: Double?
        /// "near" or "far" when every measured run saw that state, "mixed" otherwise, "-" if none measured.
        public let coreState: String
        /// Per-core throughput divided by the best baseline's (nil: no baseline in the results).
        public var perCoreRatio: Double?
        /// The baseline with the highest per-core throughput.
        public var perCoreBaseline: String?
        /// Median latency divided by the best baseline's.
        public var latencyRatio: Double?
        /// The baseline with the lowest median latency.
        public var latencyBaseline: String?
    }

    public let rows: [Row]

    /// `baselines` maps a system name to the names of the systems it is compared with.
    public init(results: [RunResult], baselines: [String: [String]]) {
        var order: [String] = []
        var bySystem: [String: [RunResult]] = [:]
        for result in results {
            if bySystem[result.system] == nil { order.append(result.system) }
            bySystem[result.system, default: []].append(result)
        }
        var rows = order.map { system in Self.row(system, bySystem[system] ?? []) }
        let measured = rows
        for index in rows.indices {
            let names = baselines[rows[index].system] ?? []
            let candidates = measured.filter { names.contains($0.system) }
            if let best = Self.fastestPerCore(candidates) {
                rows[index].perCoreRatio = rows[index].rpcsPerSecondPerCore / best.rpcsPerSecondPerCore
                rows[index].perCoreBaseline = best.system
            }
            if let p50 = rows[index].p50, let best = Self.lowestMedianLatency(candidates), let bestP50 = best.p50 {
                rows[index].latencyRatio = p50 / bestP50
                rows[index].latencyBaseline = best.system
            }
        }
        self.rows = rows
    }

    /// The row with the highest per-core throughput (above 0), if any; the first of equals.
    static func fastestPerCore(_ rows: [Row]) -> Row? {
        rows.filter { $0.rpcsPerSecondPerCore > 0 }.max { $0.rpcsPerSecondPerCore < $1.rpcsPerSecondPerCore }
    }

    /// The row with the lowest median latency (above 0), if any; the first of equals.
    static func lowestMedianLatency(_ rows: [Row]) -> Row? {
        rows.compactMap { row in row.p50.flatMap { $0 > 0 ? (row, $0) : nil } }.min { $0.1 < $1.1 }?.0
    }

    static func row(_ system: String, _ runs: [RunResult]) -> Row {
        let latencies = runs.compactMap(\.latency)
        let trips = runs.compactMap(\.coreRoundTrip)
        return Row(system: system, runs: runs.count,
                   rpcsPerSecond: median(runs.map(\.rpcsPerSecond)),
                   gigabitsPerSecond: median(runs.map(\.gigabitsPerSecond)),
                   cores: median(runs.map(\.cores)),
                   rpcsPerSecondPerCore: median(runs.map(\.rpcsPerSecondPerCore)),
                   cpuSecondsPerMillion: median(runs.map(\.cpuSecondsPerMillion)),
                   p50: latencies.isEmpty ? nil : median(latencies.map(\.p50)),
                   p99: latencies.isEmpty ? nil : median(latencies.map(\.p99)),
                   errors: runs.reduce(0) { $0 &+ $1.errors },
                   coreRoundTrip: trips.isEmpty ? nil : median(trips.map(\.nanoseconds)),
                   coreState: coreState(trips))
    }

    /// The state every run saw, "mixed" if they differ, "-" if none was measured.
    static func coreState(_ trips: [CoreRoundTrip]) -> String {
        let states = Set(trips.map(\.state))
        if states.count > 1 { return "mixed" }
        return states.first?.rawValue ?? "-"
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
                      "CPU0↔1", "per-core ×", "vs best per-core", "p50 ×", "vs best p50"]
        var lines = [header]
        for row in rows {
            lines.append([row.system, String(row.runs), Self.format(row.rpcsPerSecond), Self.format(row.gigabitsPerSecond),
                          Self.format(row.cores), Self.format(row.rpcsPerSecondPerCore), Self.format(row.cpuSecondsPerMillion),
                          row.p50.map(Self.format) ?? "-", row.p99.map(Self.format) ?? "-", String(row.errors),
                          row.coreRoundTrip.map { "\(Int($0.rounded())) ns \(row.coreState)" } ?? row.coreState,
                          row.perCoreRatio.map { Self.format($0) + "x" } ?? "-", row.perCoreBaseline ?? "-",
                          row.latencyRatio.map { Self.format($0) + "x" } ?? "-", row.latencyBaseline ?? "-"])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        // Names read left-aligned, figures right-aligned.
        let named: Set = [0, header.count - 3, header.count - 1]
        return lines.map { line in
            line.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return named.contains(column) ? cell + padding : padding + cell
            }.joined(separator: "  ").trimmingSuffix(" ")
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

extension String {
    /// The string without trailing `character`s.
    fileprivate func trimmingSuffix(_ character: Character) -> String {
        var trimmed = Substring(self)
        while trimmed.last == character { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}
