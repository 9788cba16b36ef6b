/// The figures of one run of one system, computed from its workers' reports.
///
/// Rates divide the counting side's messages (`Workload.countingRole`) by the interval that side
/// measured; `cores` is the CPU time of all worker threads divided by that interval, so per-core
/// figures charge every thread the system used (FlexTCP's polling fast path included). Latency
/// percentiles exist only for workloads that measure latency. `coreRoundTrip` is the cross-core
/// round trip measured just before the run (nil: not measured); `mtu` the system's MTU (nil: not known).
public struct RunResult: Sendable, Equatable, Codable {
    public var system: String
    public var workload: Workload
    public var connections: Int
    public var size: Int
    public var pipeline: Int
    public var delayCycles: UInt64
    public var repetition: Int
    public var seconds: Double
    public var messages: UInt64
    public var rpcsPerSecond: Double
    public var gigabitsPerSecond: Double
    public var cpuSeconds: Double
    public var cores: Double
    public var threads: Int
    public var pinnedCPUs: [Int]
    public var errors: UInt64
    public var latency: LatencyPercentiles?
    public var coreRoundTrip: CoreRoundTrip?
    /// Kernel kicks (transmit system calls) of both sides' ports per message; nil for systems whose
    /// ports do not count them.
    public var kicksPerMessage: Double?
    public var mtu: Int?

    /// Message throughput per core used.
    public var rpcsPerSecondPerCore: Double { cores > 0 ? rpcsPerSecond / cores : 0 }
    /// CPU seconds spent per million messages.
    public var cpuSecondsPerMillion: Double { messages > 0 ? cpuSeconds / (Double(messages) / 1e6) : 0 }

    public init(system: String, spec: WorkloadSpec, repetition: Int, reports: [WorkerReport], coreRoundTrip: CoreRoundTrip? = nil,
                mtu: Int? = nil) {
        self.system = system
        self.mtu = mtu
        self.coreRoundTrip = coreRoundTrip
        workload = spec.workload
        connections = spec.connections
        size = spec.size
        pipeline = spec.pipeline
        delayCycles = spec.delayCycles
        self.repetition = repetition
        var counting = EndpointMetrics()
        var measured = 0.0
        for report in reports where report.role == spec.workload.countingRole {
            counting.merge(report.metrics)
            measured = max(measured, report.measuredSeconds)
        }
        seconds = measured
        messages = counting.messages
        rpcsPerSecond = measured > 0 ? Double(counting.messages) / measured : 0
        gigabitsPerSecond = measured > 0 ? Double(counting.bytes) * 8 / measured / 1e9 : 0
        cpuSeconds = reports.reduce(0) { $0 + $1.cpuSeconds }
        cores = measured > 0 ? cpuSeconds / measured : 0
        threads = reports.count
        pinnedCPUs = reports.compactMap(\.cpu)
        errors = reports.reduce(0) { $0 &+ $1.metrics.errors }
        latency = spec.workload.measuresLatency ? LatencyPercentiles(counting.latency) : nil
        let kicks = reports.compactMap(\.transmitKicks)
        if !kicks.isEmpty && counting.messages > 0 {
            kicksPerMessage = Double(kicks.reduce(0, &+)) / Double(counting.messages)
        }
    }

    enum CodingKeys: String, CodingKey {
        case system, workload, connections, size, pipeline, repetition, seconds, messages, cores, threads, errors
        case delayCycles = "delay_cycles"
        case rpcsPerSecond = "rpcs_per_sec"
        case gigabitsPerSecond = "gbits_per_sec"
        case cpuSeconds = "cpu_seconds"
        case pinnedCPUs = "pinned_cpus"
        case rpcsPerSecondPerCore = "rpcs_per_sec_per_core"
        case cpuSecondsPerMillion = "cpu_seconds_per_million"
        case p50 = "p50_us", p90 = "p90_us", p99 = "p99_us", p999 = "p999_us"
        case coreRoundTrip = "core_round_trip_ns"
        case coreState = "core_state"
        case kicksPerMessage = "kicks_per_msg"
        case mtu
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(system, forKey: .system)
        try container.encode(workload, forKey: .workload)
        try container.encode(connections, forKey: .connections)
        try container.encode(size, forKey: .size)
        try container.encode(pipeline, forKey: .pipeline)
        try container.encode(delayCycles, forKey: .delayCycles)
        try container.encode(repetition, forKey: .repetition)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(messages, forKey: .messages)
        try container.encode(rpcsPerSecond, forKey: .rpcsPerSecond)
        try container.encode(gigabitsPerSecond, forKey: .gigabitsPerSecond)
        try container.encode(cpuSeconds, forKey: .cpuSeconds)
        try container.encode(cores, forKey: .cores)
        try container.encode(threads, forKey: .threads)
        try container.encode(pinnedCPUs, forKey: .pinnedCPUs)
        try container.encode(errors, forKey: .errors)
        try container.encode(rpcsPerSecondPerCore, forKey: .rpcsPerSecondPerCore)
        try container.encode(cpuSecondsPerMillion, forKey: .cpuSecondsPerMillion)
        // Latency keys are always present: null for workloads without a latency.
        try container.encode(latency?.p50, forKey: .p50)
        try container.encode(latency?.p90, forKey: .p90)
        try container.encode(latency?.p99, forKey: .p99)
        try container.encode(latency?.p999, forKey: .p999)
        try container.encode(coreRoundTrip?.nanoseconds, forKey: .coreRoundTrip)
        try container.encode(coreRoundTrip?.state, forKey: .coreState)
        try container.encode(kicksPerMessage, forKey: .kicksPerMessage)
        try container.encode(mtu, forKey: .mtu)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        system = try container.decode(String.self, forKey: .system)
        workload = try container.decode(Workload.self, forKey: .workload)
        connections = try container.decode(Int.self, forKey: .connections)
        size = try container.decode(Int.self, forKey: .size)
        pipeline = try container.decode(Int.self, forKey: .pipeline)
        delayCycles = try container.decode(UInt64.self, forKey: .delayCycles)
        repetition = try container.decode(Int.self, forKey: .repetition)
        seconds = try container.decode(Double.self, forKey: .seconds)
        messages = try container.decode(UInt64.self, forKey: .messages)
        rpcsPerSecond = try container.decode(Double.self, forKey: .rpcsPerSecond)
        gigabitsPerSecond = try container.decode(Double.self, forKey: .gigabitsPerSecond)
        cpuSeconds = try container.decode(Double.self, forKey: .cpuSeconds)
        cores = try container.decode(Double.self, forKey: .cores)
        threads = try container.decode(Int.self, forKey: .threads)
        pinnedCPUs = try container.decode([Int].self, forKey: .pinnedCPUs)
        errors = try container.decode(UInt64.self, forKey: .errors)
        if let p50 = try container.decodeIfPresent(Double.self, forKey: .p50) {
            latency = LatencyPercentiles(p50: p50, p90: try container.decode(Double.self, forKey: .p90),
                                         p99: try container.decode(Double.self, forKey: .p99),
                                         p999: try container.decode(Double.self, forKey: .p999))
        }
        // Absent in files written before the round trip was measured.
        coreRoundTrip = try container.decodeIfPresent(Double.self, forKey: .coreRoundTrip).map(CoreRoundTrip.init(nanoseconds:))
        kicksPerMessage = try container.decodeIfPresent(Double.self, forKey: .kicksPerMessage)
        // Absent in files written before the MTU was recorded.
        mtu = try container.decodeIfPresent(Int.self, forKey: .mtu)
    }
}

/// Latency percentiles of one run, in microseconds.
public struct LatencyPercentiles: Sendable, Equatable, Codable {
    public let p50: Double
    public let p90: Double
    public let p99: Double
    public let p999: Double

    public init(p50: Double, p90: Double, p99: Double, p999: Double) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
    }

    init(_ histogram: LatencyHistogram) {
        self.init(p50: histogram.microseconds(atPercentile: 50), p90: histogram.microseconds(atPercentile: 90),
                  p99: histogram.microseconds(atPercentile: 99), p999: histogram.microseconds(atPercentile: 99.9))
    }
}
