import ArgumentParser
import FlexBench

/// `flexbench cc interval`: flow completion times against the control interval, DCTCP and TIMELY.
struct IntervalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interval",
        abstract: "Pareto-sized flows at a given load over one bottleneck link: FCT p50/p99 per size class for each control interval and algorithm.")

    @Option(name: .customLong("rtt-multiples"), help: "Control intervals in RTT estimates, comma-separated.") var rttMultiples = "0.5,1,2,4,8"
    @Option(help: "Algorithms, comma-separated (dctcp, timely).") var algorithms = "dctcp,timely"
    @Option(help: "Offered load over the link rate.") var load = 0.75
    @Option(help: "Link rate in Gbit/s (every link).") var gigabits = 10.0
    @Option(name: .customLong("mean-bytes"), help: "Mean flow size before the cap (Pareto).") var meanBytes = 65_536.0
    @Option(help: "Pareto shape (> 1).") var shape = 1.2
    @Option(name: .customLong("max-bytes"), help: "Largest flow (sizes above are cut to it).") var maxBytes = 4_194_304.0
    @Option(help: "Virtual milliseconds during which flows arrive (the run then drains).") var milliseconds = 50
    @Option(name: .customLong("initial-megabits"), help: "Every flow's initial rate in Mbit/s (default: the link rate; the stacks' own default is 10).")
    var initialMegabits: Double?
    @Option(help: "Seed of the workload and the switch.") var seed: UInt64 = 1
    @Flag(name: .customLong("appendix-law"), help: "DCTCP as appendix A.2 writes it (one move per step), not time-weighted steps.")
    var appendixLaw = false
    @Option(help: "Write the figures as JSON to this file.") var json: String?
    @Option(help: "Write one line per run and size class as CSV to this file.") var csv: String?
    @Option(help: "Write a plot of p99 FCT against the interval (SVG) to this file.") var svg: String?

    var parsedMultiples: [Double] { rttMultiples.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
    var parsedAlgorithms: [IntervalExperiment.Algorithm] {
        algorithms.split(separator: ",").compactMap { IntervalExperiment.Algorithm(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        guard !parsedMultiples.isEmpty, parsedMultiples.count == rttMultiples.split(separator: ",").count,
              parsedMultiples.allSatisfy({ $0 > 0 && $0 <= 1000 }) else {
            throw ValidationError("--rtt-multiples must list positive numbers up to 1000, comma-separated")
        }
        guard !parsedAlgorithms.isEmpty, parsedAlgorithms.count == algorithms.split(separator: ",").count else {
            throw ValidationError("--algorithms must list dctcp and/or timely")
        }
        guard load > 0, load < 1 else { throw ValidationError("--load must be in (0, 1)") }
        guard gigabits > 0, gigabits <= 400 else { throw ValidationError("--gigabits must be in (0, 400]") }
        guard shape > 1, meanBytes >= 1, maxBytes >= meanBytes else { throw ValidationError("--shape must be above 1 and --max-bytes at least --mean-bytes") }
        guard milliseconds > 0 else { throw ValidationError("--milliseconds must be positive") }
        if let initialMegabits, !(initialMegabits > 0 && initialMegabits <= gigabits * 1000) {
            throw ValidationError("--initial-megabits must be above 0 and at most the link rate")
        }
    }

    func run() throws {
        var experiment = IntervalExperiment()
        experiment.roundTripMultiples = parsedMultiples
        experiment.algorithms = parsedAlgorithms
        experiment.load = load
        experiment.fabric.linkBitsPerSecond = UInt64(gigabits * 1e9)
        experiment.meanFlowBytes = meanBytes
        experiment.paretoShape = shape
        experiment.maximumFlowBytes = maxBytes
        experiment.arrivalNanoseconds = UInt64(milliseconds) * 1_000_000
        experiment.fabric.seed = seed
        experiment.fabric.timeWeightedSteps = !appendixLaw
        experiment.initialBitsPerSecond = initialMegabits.map { UInt64($0 * 1e6) }
        print("flexbench cc interval: \(experiment.senderHosts) hosts × \(experiment.connectionsPerHost) connections → 1 receiver, \(gigabits) Gbit/s links "
              + "of \(experiment.fabric.propagationDelayNanoseconds / 1000) µs, K = \(experiment.fabric.ecnThresholdPackets) packets, "
              + "DCTCP (\(appendixLaw ? "appendix A.2 law" : "time-weighted steps")), TIMELY (paper's thresholds), flows starting at "
              + "\(initialMegabits.map { "\($0) Mbit/s" } ?? "the link rate"), arriving for \(milliseconds) ms virtual")
        let result = try experiment.run()
        print(result.report)
        if let csv {
            try result.csv.write(toFile: csv, atomically: true, encoding: .utf8)
            print("CSV: \(csv)")
        }
        try ExperimentOutput.write(json: result.jsonObject, to: json, chart: result.completionChart, to: svg)
    }
}
