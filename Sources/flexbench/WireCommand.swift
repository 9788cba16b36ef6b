import ArgumentParser

/// `flexbench wire`: runs the micro benchmarks of `wireBenchmarks()` and prints one table row each.
struct WireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Micro benchmarks: checksums, parsing, in-memory frame I/O.")

    @Option(help: "Run only the benchmarks whose name contains this text (case-insensitive).")
    var filter: String?

    @Option(help: "Seconds of timed repetitions per benchmark; calibration and warm-up come on top.")
    var seconds: Double = 0.5

    @Option(help: "Timed repetitions per benchmark; the table shows their median and best.")
    var repetitions: Int = 9

    func validate() throws {
        guard seconds.isFinite, seconds > 0 else { throw ValidationError("--seconds must be a positive number") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        guard wireBenchmarks().contains(where: { isSelected($0.name) }) else {
            throw ValidationError("no benchmark name contains \"\(filter ?? "")\"")
        }
    }

    private func isSelected(_ name: String) -> Bool {
        filter.map { name.lowercased().contains($0.lowercased()) } ?? true
    }

    func run() {
        let selected = wireBenchmarks().filter { isSelected($0.name) }
        let nameWidth = selected.map(\.name.count).max() ?? 0
        let runner = BenchmarkRunner(seconds: seconds, repetitions: repetitions)
        let table = ResultTable(nameWidth: nameWidth)
        print("flexbench wire: \(selected.count) benchmark(s), each \(repetitions) timed repetitions in \(seconds) s")
        print(table.header)
        for var benchmark in selected {
            let result = runner.measure(&benchmark)
            print(table.row(name: benchmark.name, unit: benchmark.metric.unit, result: result))
        }
    }
}
