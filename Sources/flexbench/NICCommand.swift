import ArgumentParser
import FlexNIC
import Foundation

/// `flexbench nic`: packets per second per core of one FlexNIC pipeline running a standard program
/// (`PipelineWorkload`), timed by `BenchmarkRunner`. Prints figures; never passes or fails.
struct NICCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nic",
        abstract: "FlexNIC pipeline throughput: the 4-stage steering program or the ACK-crafting program.")

    @Option(help: "The program: \(PipelineWorkload.names.joined(separator: " or ")).") var program: String = "steering"
    @Option(help: "Seconds of timed repetitions; calibration and warm-up come on top.") var seconds: Double = 1
    @Option(help: "Timed repetitions; the figures are their median and best.") var repetitions: Int = 9
    @Option(help: "Write {program, packets_per_sec, ns_per_packet, …} as JSON to this file.") var json: String?

    func validate() throws {
        guard PipelineWorkload.names.contains(program) else {
            throw ValidationError("--program must be one of \(PipelineWorkload.names.joined(separator: ", "))")
        }
        guard seconds.isFinite, seconds > 0, repetitions >= 1 else { throw ValidationError("--seconds and --repetitions must be positive") }
    }

    /// The workload as a micro benchmark for the runner.
    private struct Benchmark: MicroBenchmark {
        let workload: PipelineWorkload
        var name: String { "nic/\(workload.programName)" }
        var metric: BenchmarkMetric { .latency(operation: "packet") }
        func run(iterations: Int) -> UInt64 { workload.run(iterations: iterations) }
    }

    func run() throws {
        guard let workload = try PipelineWorkload(program: program) else { return }
        var benchmark = Benchmark(workload: workload)
        let result = BenchmarkRunner(seconds: seconds, repetitions: repetitions).measure(&benchmark)
        let medianRate = 1e9 / result.median, bestRate = 1e9 / result.best
        let command = "flexbench nic --program \(program)"
        print("\(command): \(String(format: "%.1f", result.median)) ns/packet median (best \(String(format: "%.1f", result.best))), "
              + "\(String(format: "%.2f", medianRate / 1e6)) Mpps per core (best \(String(format: "%.2f", bestRate / 1e6)))")
        if let json {
            let text = """
                {"program": "\(program)", "packets_per_sec": \(Int(medianRate)), "best_packets_per_sec": \(Int(bestRate)), \
                "ns_per_packet": \(String(format: "%.2f", result.median)), "stages": \(workload.pipeline.program.stages.count), \
                "command": "\(command)"}

                """
            try text.write(toFile: json, atomically: true, encoding: .utf8)
            print("results written to \(json)")
        }
    }
}
