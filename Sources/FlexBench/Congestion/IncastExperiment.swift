import FlexPort
import FlexTCPCore

/// The incast experiment of issue 14: `senderHosts` hosts with `connectionsPerHost` bulk
/// connections each send into one receiver through an emulated switch whose port towards the
/// receiver marks ECN above `ecnThresholdPackets`. Every host runs FlexTCP with rate-based DCTCP.
/// Per-connection throughput is taken over `windowNanoseconds` windows after `warmUpNanoseconds`.
///
/// Contract: deterministic for the same settings (virtual time, seeded). `run` throws only when
/// the connections cannot be opened.
public struct IncastExperiment: Sendable {
    public var senderHosts = 4
    public var connectionsPerHost = 4
    public var fabric = ExperimentFabric()
    public var durationNanoseconds: UInt64 = 500_000_000
    public var warmUpNanoseconds: UInt64 = 100_000_000
    public var windowNanoseconds: UInt64 = 100_000_000
    /// The plot's resolution; divides the window and the warm-up.
    public var sampleNanoseconds: UInt64 = 10_000_000

    public init() {}

    public var connections: Int { senderHosts * connectionsPerHost }

    /// Runs the experiment; the result holds every connection's throughput per window.
    public func run() throws -> IncastResult {
        guard senderHosts >= 1, connectionsPerHost >= 1, sampleNanoseconds > 0, windowNanoseconds % sampleNanoseconds == 0,
              warmUpNanoseconds % sampleNanoseconds == 0, windowNanoseconds > 0,
              durationNanoseconds >= warmUpNanoseconds + windowNanoseconds else {
            throw ExperimentSetupError.invalidSettings("give at least one host and connection, a window and warm-up that are "
                + "multiples of the sample interval, and a duration of at least the warm-up and one window")
        }
        let outcome = try BulkExperiment(
            senderHosts: senderHosts, connectionsPerHost: connectionsPerHost, fabric: fabric, durationNanoseconds: durationNanoseconds,
            warmUpNanoseconds: warmUpNanoseconds, sampleNanoseconds: sampleNanoseconds).run()
        let samples = outcome.samples
        let samplesPerWindow = Int(windowNanoseconds / sampleNanoseconds)
        let firstWindowSample = Int(warmUpNanoseconds / sampleNanoseconds)
        let windowSeconds = Double(windowNanoseconds) / 1e9
        let windows = stride(from: firstWindowSample, through: samples.count - 1 - samplesPerWindow, by: samplesPerWindow).map { first in
            BulkExperiment.rates(from: samples[first], to: samples[first + samplesPerWindow], seconds: windowSeconds)
        }
        let sampleSeconds = Double(sampleNanoseconds) / 1e9
        let series = (1..<samples.count).map { BulkExperiment.rates(from: samples[$0 - 1], to: samples[$0], seconds: sampleSeconds) }
        let statistics = outcome.bottleneck.emulatorStatistics
        return IncastResult(settings: self, windowRates: windows, sampleRates: series, payloadFraction: outcome.payloadFraction,
                            maximumQueuePackets: outcome.maximumQueueAfterWarmUp,
                            maximumQueuePacketsIncludingWarmUp: statistics.maximumQueuedFrames, marked: statistics.marked,
                            droppedByQueue: statistics.droppedByQueue, bytesDelivered: outcome.bytesDelivered, corruptions: outcome.corruptions)
    }
}

/// What `IncastExperiment.run` measured.
public struct IncastResult: Sendable {
    public let settings: IncastExperiment
    /// Per window (after warm-up), each connection's goodput in bits per second.
    public let windowRates: [[Double]]
    /// Per sample interval from the start, each connection's goodput in bits per second.
    public let sampleRates: [[Double]]
    /// Payload bytes per frame byte at full-sized segments (the rest is headers).
    public let payloadFraction: Double
    /// The longest the bottleneck queue grew after warm-up, and over the whole run.
    public let maximumQueuePackets: Int
    public let maximumQueuePacketsIncludingWarmUp: Int
    public let marked: UInt64
    public let droppedByQueue: UInt64
    public let bytesDelivered: UInt64
    /// Reads whose bytes were not the stream's (0 when every byte arrived intact).
    public let corruptions: Int

    /// A connection's share of the bottleneck's payload capacity.
    public var fairShareBitsPerSecond: Double {
        Double(settings.fabric.linkBitsPerSecond) * payloadFraction / Double(settings.connections)
    }

    /// Every (connection, window) goodput, sorted.
    public var sortedRates: [Double] { windowRates.flatMap { $0 }.sorted() }

    public var medianOverFair: Double { Percentile.of(sortedRates, 0.5) / fairShareBitsPerSecond }
    public var p99OverMedian: Double {
        let median = Percentile.of(sortedRates, 0.5)
        return median > 0 ? Percentile.of(sortedRates, 0.99) / median : .infinity
    }
    /// The lowest (connection, window) goodput over the fair share: a starved connection shows here.
    public var minimumOverFair: Double { (sortedRates.first ?? 0) / fairShareBitsPerSecond }
    /// Goodput of all connections over the bottleneck's payload capacity, averaged over the windows.
    public var utilization: Double {
        guard !windowRates.isEmpty else { return 0 }
        let capacity = Double(settings.fabric.linkBitsPerSecond) * payloadFraction
        return windowRates.map { $0.reduce(0, +) / capacity }.reduce(0, +) / Double(windowRates.count)
    }
}

/// Nearest-rank percentiles of sorted values.
enum Percentile {
    static func of(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
