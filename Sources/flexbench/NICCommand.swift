import ArgumentParser
import CFlexShim
import FlexBench
import FlexNIC
import Foundation

/// `flexbench nic`: packets per second per core of one FlexNIC pipeline running a standard program
/// (`PipelineWorkload`). Two figures: wall-clock time per packet from `BenchmarkRunner` (median and
/// best repetition), and the thread's CPU time over one more batch, which does not count time the
/// thread waited for a core on a loaded machine; `packets_per_sec` is the CPU-time figure (per core).
/// Prints figures; never passes or fails.
struct NICCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nic",
        abstract: "FlexNIC pipeline throughput: the 4-stage steering program or the ACK-crafting program.")

    @Option(help: "The program: \(PipelineWorkload.names.joined(separator: " or ")).") var program: String = "steering"
    @Option(help: "Seconds of timed repetitions; calibration and warm-up come on top.") var seconds: Double = 1
    @Option(help: "Timed repetitions; the figures are their median and best.") var repetitions: Int = 9
    @Option(help: "Write {program, packets_per_sec, ns_per_packet, …} as JSON to this file.") var json: String?
    @Flag(help: "Count instructions per packet instead: this program under callgrind, collecting only inside the pipeline loop.")
    var instructions = false
    @Option(help: "Run exactly this many packets untimed and print the digest (what --instructions runs under callgrind).")
    var packets: Int?

    func validate() throws {
        guard PipelineWorkload.names.contains(program) else {
            throw ValidationError("--program must be one of \(PipelineWorkload.names.joined(separator: ", "))")
        }
        guard seconds.isFinite, seconds > 0, repetitions >= 1 else { throw ValidationError("--seconds and --repetitions must be positive") }
        guard (packets ?? 1) > 0 else { throw ValidationError("--packets must be positive") }
    }

    /// The workload as a micro benchmark for the runner.
    private struct Benchmark: MicroBenchmark {
        let workload: PipelineWorkload
        var name: String { "nic/\(workload.programName)" }
        var metric: BenchmarkMetric { .latency(operation: "packet") }
        func run(iterations: Int) -> UInt64 { workload.run(iterations: iterations) }
    }

    func run() throws {
        if instructions { return try printInstructions() }
        guard let workload = try PipelineWorkload(program: program) else { return }
        if let packets {
            print("\(packets) packets, digest \(workload.run(iterations: packets))")
            return
        }
        var benchmark = Benchmark(workload: workload)
        let result = BenchmarkRunner(seconds: seconds, repetitions: repetitions).measure(&benchmark)
        let packets = result.iterationsPerRepetition * repetitions
        let cpuStart = flexshim_thread_cpu_ns()
        consume(workload.run(iterations: packets))
        let cpuPerPacket = Double(max(flexshim_thread_cpu_ns() - cpuStart, 1)) / Double(packets)
        let rate = 1e9 / cpuPerPacket
        let command = "flexbench nic --program \(program)"
        print("\(command): \(format(cpuPerPacket)) CPU ns/packet = \(format(rate / 1e6)) Mpps per core; "
              + "wall clock \(format(result.median)) ns/packet median, \(format(result.best)) best (\(packets) packets per batch)")
        if let json {
            let text = """
                {"program": "\(program)", "packets_per_sec": \(Int(rate)), "cpu_ns_per_packet": \(format(cpuPerPacket)), \
                "wall_ns_per_packet_median": \(format(result.median)), "wall_ns_per_packet_best": \(format(result.best)), \
                "stages": \(workload.pipeline.program.stages.count), "command": "\(command)"}

                """
            try text.write(toFile: json, atomically: true, encoding: .utf8)
            print("results written to \(json)")
        }
    }

    /// Runs `--packets` packets in a stripped copy of this program under callgrind, collecting only
    /// inside `PipelineWorkload.run`, and prints instructions per packet.
    private func printInstructions() throws {
        let count = packets ?? 200_000
        let directory = try ProfileCommand.makeTemporaryDirectory()
        let binary = directory + "/flexbench-stripped"
        try Tool.run("objcopy", ["--strip-debug", try ProfileCommand.ownExecutable(), binary])
        defer { try? FileManager.default.removeItem(atPath: binary) }
        let file = "\(directory)/callgrind.nic-\(program).out"
        try Tool.run("valgrind", ["--tool=callgrind", "--toggle-collect=*PipelineWorkload*run*", "--callgrind-out-file=\(file)",
                                  "--log-file=\(file).log", binary, "nic", "--program", program, "--packets", String(count)])
        guard let total = CallgrindReport.totalInstructions(in: try String(contentsOfFile: file, encoding: .utf8)) else {
            throw ValidationError("no instruction total in \(file)")
        }
        print("flexbench nic --program \(program) --instructions: " + String(format: "%.1f", Double(total) / Double(count))
              + " instructions/packet (callgrind, \(count) packets); output \(file)")
    }

    private func format(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.1f", value) }
}
