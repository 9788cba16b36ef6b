import ArgumentParser
import FlexBench
import Foundation

/// `flexbench cc`: the congestion-control experiments of issue 14, on hosts joined by an emulated
/// switch in virtual time (deterministic: same options, same figures).
struct CongestionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cc",
        abstract: "Congestion-control experiments in virtual time: incast fairness, loss penalty, control-interval sensitivity.",
        subcommands: [IncastCommand.self, LossCommand.self, IntervalCommand.self])
}

/// `flexbench cc incast`: fairness and queue length when many senders share one receiver's port.
struct IncastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incast",
        abstract: "H sender hosts × C connections into one receiver through a switch port that marks ECN above K.")

    @Option(help: "Sender hosts.") var hosts = 4
    @Option(help: "Connections per sender host.") var connections = 4
    @Option(help: "Link rate in Gbit/s (every link).") var gigabits = 10.0
    @Option(name: .customLong("ecn-threshold"), help: "K: the switch marks CE above this many queued packets.") var ecnThreshold = 65
    @Option(help: "Virtual milliseconds to run (the first --warm-up are not measured).") var milliseconds = 500
    @Option(name: .customLong("warm-up"), help: "Virtual milliseconds before the first window.") var warmUp = 100
    @Option(help: "Measurement window in virtual milliseconds.") var window = 100
    @Option(help: "Seed of the switch's random choices.") var seed: UInt64 = 1
    @Flag(name: .customLong("appendix-law"), help: "DCTCP as appendix A.2 writes it (one move per step), not time-weighted steps.")
    var appendixLaw = false
    @Option(name: .customLong("initial-window"), help: "DCTCP's initial window in segments per handshake RTT (0: start from 10 Mbit/s).")
    var initialWindow = 0.0
    @Option(help: "Write the figures as JSON to this file.") var json: String?
    @Option(help: "Write a plot of each connection's throughput over time (SVG) to this file.") var svg: String?

    func validate() throws {
        guard (1...64).contains(hosts), (1...256).contains(connections), hosts * connections <= 4096 else {
            throw ValidationError("--hosts must be 1...64 and --connections 1...256")
        }
        guard gigabits > 0, gigabits <= 400 else { throw ValidationError("--gigabits must be in (0, 400]") }
        guard initialWindow >= 0, initialWindow <= 1_000 else { throw ValidationError("--initial-window must be 0...1000") }
        guard window > 0, warmUp >= 0, milliseconds > warmUp + window, warmUp % 10 == 0, window % 10 == 0 else {
            throw ValidationError("--window and --warm-up must be multiples of 10 ms, and --milliseconds longer than both together")
        }
    }

    func run() throws {
        var experiment = IncastExperiment()
        experiment.senderHosts = hosts
        experiment.connectionsPerHost = connections
        experiment.fabric.linkBitsPerSecond = UInt64(gigabits * 1e9)
        experiment.fabric.ecnThresholdPackets = ecnThreshold
        experiment.durationNanoseconds = UInt64(milliseconds) * 1_000_000
        experiment.warmUpNanoseconds = UInt64(warmUp) * 1_000_000
        experiment.windowNanoseconds = UInt64(window) * 1_000_000
        experiment.fabric.seed = seed
        experiment.fabric.timeWeightedSteps = !appendixLaw
        experiment.fabric.initialWindowSegments = initialWindow
        print("flexbench cc incast: \(hosts) hosts × \(connections) connections → 1 receiver, \(gigabits) Gbit/s links, "
              + "K = \(ecnThreshold) packets, DCTCP (\(appendixLaw ? "appendix A.2 law" : "time-weighted steps")), \(milliseconds) ms virtual (\(window) ms windows after \(warmUp) ms)")
        let result = try experiment.run()
        print(result.report)
        try ExperimentOutput.write(json: result.jsonObject, to: json, chart: result.throughputChart, to: svg)
    }
}

/// `flexbench cc loss`: the goodput bulk flows lose to random loss, against the same run without it.
struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "N bulk flows over one link with random loss on the data direction: goodput penalty against no loss.")

    @Option(name: .customLong("loss-percent"), help: "Loss rates in percent, comma-separated (e.g. 0.1,0.5,1,2,5).")
    var lossPercent = "1"
    @Option(help: "Bulk flows.") var flows = 100
    @Option(help: "Link rate in Gbit/s.") var gigabits = 10.0
    @Option(help: "Virtual milliseconds per run (the first --warm-up are not measured).") var milliseconds = 300
    @Option(name: .customLong("warm-up"), help: "Virtual milliseconds before measuring.") var warmUp = 100
    @Option(help: "Seed of the loss.") var seed: UInt64 = 1
    @Option(help: "Write the figures as JSON to this file.") var json: String?
    @Option(help: "Write a plot of the penalty against the loss rate (SVG) to this file.") var svg: String?

    var parsedLoss: [Double] { lossPercent.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        let rates = parsedLoss
        guard !rates.isEmpty, rates.count == lossPercent.split(separator: ",").count, rates.allSatisfy({ $0 > 0 && $0 < 50 }) else {
            throw ValidationError("--loss-percent must list rates above 0 and below 50, comma-separated")
        }
        guard (1...4096).contains(flows) else { throw ValidationError("--flows must be 1...4096") }
        guard gigabits > 0, gigabits <= 400 else { throw ValidationError("--gigabits must be in (0, 400]") }
        guard warmUp > 0, milliseconds > warmUp else { throw ValidationError("--milliseconds must be longer than --warm-up (> 0)") }
    }

    func run() throws {
        var experiment = LossExperiment()
        experiment.flows = flows
        experiment.fabric.linkBitsPerSecond = UInt64(gigabits * 1e9)
        experiment.lossPercents = parsedLoss
        experiment.durationNanoseconds = UInt64(milliseconds) * 1_000_000
        experiment.warmUpNanoseconds = UInt64(warmUp) * 1_000_000
        experiment.fabric.seed = seed
        print("flexbench cc loss: \(flows) flows, \(gigabits) Gbit/s, DCTCP, \(milliseconds) ms virtual per run (measured after \(warmUp) ms)")
        let result = try experiment.run()
        print(result.report)
        try ExperimentOutput.write(json: result.jsonObject, to: json, chart: result.penaltyChart, to: svg)
    }
}

/// Where an experiment's figures go besides standard output.
enum ExperimentOutput {
    /// Writes the JSON to `jsonPath` and the chart as SVG to `svgPath`, each when given, and says where.
    static func write(json: Data, to jsonPath: String?, chart: SVGLineChart, to svgPath: String?) throws {
        if let jsonPath {
            try json.write(to: URL(fileURLWithPath: jsonPath))
            print("JSON: \(jsonPath)")
        }
        if let svgPath {
            try chart.render().write(toFile: svgPath, atomically: true, encoding: .utf8)
            print("plot: \(svgPath)")
        }
    }
}
