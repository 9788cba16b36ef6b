import FlexPort
import FlexTCPCore

/// The network every congestion-control experiment runs on: hosts joined by a switch whose links
/// all have one rate and delay, and whose port towards the receiver queues up to
/// `queueLimitPackets` and marks ECN above `ecnThresholdPackets`; stepped every `stepNanoseconds`
/// of virtual time; hosts with a data-center minimum RTO.
public struct ExperimentFabric: Sendable {
    public var linkBitsPerSecond: UInt64 = 10_000_000_000
    public var ecnThresholdPackets = 65
    /// The switch's buffer per port, in packets.
    public var queueLimitPackets = 1_000
    public var propagationDelayNanoseconds: UInt64 = 2_000
    public var stepNanoseconds: UInt64 = 1_000
    /// A data-center minimum RTO (Linux's 200 ms would stall a lost tail for a whole run).
    public var minimumRetransmissionTimeoutNanoseconds: UInt64 = 10_000_000
    /// Seed of the switch's random choices (loss).
    public var seed: UInt64 = 1
    /// DCTCP with time-weighted steps (fair under incast; `DCTCPConfiguration.timeWeightedSteps`),
    /// or the appendix's per-step law (false).
    public var timeWeightedSteps = true
    /// DCTCP's initial window in segments per handshake RTT (`DCTCPConfiguration.initialWindowSegments`,
    /// 10 in stacks); 0, the experiments' default: every flow starts from 10 Mbit/s, as the figures
    /// in the README were taken (from 10 segments, 4 × 2 connections at 1 Gbit/s stay unequal: README).
    public var initialWindowSegments = 0.0

    public init() {}

    /// Rate-based DCTCP capped at the line rate, with or without time-weighted steps
    /// (`timeWeightedSteps`), at `controlInterval` (nil: the default, 2 RTTs), from
    /// `initialRateBytesPerSecond` (nil: the default, 10 Mbit/s).
    func dctcp(controlInterval: ControlIntervalPolicy? = nil, initialRateBytesPerSecond: Double? = nil) throws -> DCTCPConfiguration {
        try DCTCPConfiguration(maximumRateBytesPerSecond: Double(linkBitsPerSecond) / 8,
                               initialRateBytesPerSecond: initialRateBytesPerSecond ?? RateUnit.bytesPerSecond(megabitsPerSecond: 10),
                               initialWindowSegments: initialWindowSegments, controlInterval: controlInterval,
                               timeWeightedSteps: timeWeightedSteps)
    }

    /// The settings of every link of the switch.
    var linkSettings: LinkEmulatorSettings {
        var link = LinkEmulatorSettings()
        link.rateBitsPerSecond = linkBitsPerSecond
        link.propagationDelayNanoseconds = propagationDelayNanoseconds
        link.queueLimit = queueLimitPackets
        link.ecnMarkingThreshold = ecnThresholdPackets
        link.poolCapacity = max(8192, 2 * queueLimitPackets)
        link.seed = seed
        return link
    }
}
