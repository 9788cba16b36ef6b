import FlexPort
import FlexTCPCore

/// The control-interval experiment of issue 14: flow completion times of a Pareto flow-size
/// workload (`ParetoFlowWorkload`) at `load` of one bottleneck link, for each congestion control
/// algorithm and each control interval (a multiple of the flow's RTT estimate). `senderHosts` hosts
/// each keep `connectionsPerHost` connections open to host 0 through the switch of `fabric`; each
/// arriving flow goes to a seeded random sender host and an idle connection there
/// (`FlowCompletionStreams`). Flows arrive for `arrivalNanoseconds`; the run goes on until every
/// flow is complete or `drainNanoseconds` more have passed.
///
/// Contract: deterministic for the same settings (virtual time, seeded). `run` throws only when the
/// settings are inconsistent or the connections cannot be opened.
public struct IntervalExperiment: Sendable {
    /// The algorithms compared.
    public enum Algorithm: String, Sendable, CaseIterable {
        case dctcp
        case timely
    }

    public var algorithms: [Algorithm] = Algorithm.allCases
    /// Control intervals in RTT estimates.
    public var roundTripMultiples: [Double] = [0.5, 1, 2, 4, 8]
    public var senderHosts = 4
    public var connectionsPerHost = 32
    public var fabric: ExperimentFabric
    /// Offered payload over the link's bit rate.
    public var load = 0.75
    /// Pareto sizes: mean before the cap, shape, cap (bytes).
    public var meanFlowBytes = 65_536.0
    public var paretoShape = 1.2
    public var maximumFlowBytes = 4_194_304.0
    public var arrivalNanoseconds: UInt64 = 50_000_000
    public var drainNanoseconds: UInt64 = 200_000_000
    /// Flow-size classes by upper bound in bytes (the last class is everything above).
    public var sizeClassBounds = [16_384, 131_072, 1_048_576]
    /// Every flow's initial rate in bits per second (nil: the link rate, as RDMA congestion controls
    /// start). From the stacks' default of 10 Mbit/s, a flow of more than one segment took about
    /// 1.3 ms whatever the algorithm and interval (one 1,448 B segment takes 1.16 ms at 10 Mbit/s:
    /// the second segment seems to wait out the gap paced at the initial rate), and with
    /// time-weighted steps DCTCP's first doubling comes only after 4.8 ms (6 ms p50 for < 16 KiB).
    public var initialBitsPerSecond: UInt64?

    /// 10 Gbit/s links of 5 µs each (a base RTT near TIMELY's 20 µs), the fabric's switch otherwise.
    public init() {
        fabric = ExperimentFabric()
        fabric.propagationDelayNanoseconds = 5_000
    }

    var workload: ParetoFlowWorkload {
        ParetoFlowWorkload(meanBytes: meanFlowBytes, shape: paretoShape, maximumBytes: maximumFlowBytes, load: load,
                           linkBitsPerSecond: fabric.linkBitsPerSecond, seed: fabric.seed)
    }

    /// One (algorithm, interval) run's figures.
    public struct Run: Sendable {
        public let algorithm: Algorithm
        public let roundTripMultiple: Double
        /// Per flow (by id), its completion time in nanoseconds; nil when it did not complete.
        public let completionNanoseconds: [UInt64?]
        /// The longest the bottleneck queue grew while flows ran (connection setup left out).
        public let maximumQueuePackets: Int
        public let droppedByQueue: UInt64
        public let marked: UInt64
        public let corruptions: Int
        public let queuedFlows: Int
        public let retransmissionTimeouts: UInt64
    }

    public func run() throws -> IntervalResult {
        guard senderHosts >= 1, connectionsPerHost >= 1, (initialBitsPerSecond ?? 1) > 0,
              (initialBitsPerSecond ?? 0) <= fabric.linkBitsPerSecond, load > 0, load < 1, paretoShape > 1, meanFlowBytes >= 1,
              maximumFlowBytes >= meanFlowBytes, arrivalNanoseconds > 0, !roundTripMultiples.isEmpty,
              roundTripMultiples.allSatisfy({ $0 > 0 && $0.isFinite }), !algorithms.isEmpty,
              sizeClassBounds == sizeClassBounds.sorted() else {
            throw ExperimentSetupError.invalidSettings("give at least one host, connection, algorithm and interval (a positive multiple of the RTT), "
                + "a load in (0, 1), a Pareto shape above 1 with a cap at or above the mean, and ascending size classes")
        }
        let flows = workload.flows(durationNanoseconds: arrivalNanoseconds)
        var runs: [Run] = []
        for algorithm in algorithms {
            for multiple in roundTripMultiples {
                runs.append(try run(algorithm, roundTripMultiple: multiple, flows: flows))
            }
        }
        return IntervalResult(settings: self, flowBytes: flows.map(\.bytes), runs: runs)
    }

    /// The algorithm's configuration with a control interval of `multiple` RTT estimates (floored at
    /// one step of the fabric, not the stacks' 50 µs).
    func configuration(of algorithm: Algorithm, roundTripMultiple multiple: Double) throws -> any CongestionControlAlgorithm {
        let interval = try ControlIntervalPolicy(roundTripTimes: multiple, minimumNanoseconds: fabric.stepNanoseconds)
        let lineRate = Double(fabric.linkBitsPerSecond) / 8
        let initialRate = Double(initialBitsPerSecond ?? fabric.linkBitsPerSecond) / 8
        switch algorithm {
        case .dctcp: return try fabric.dctcp(controlInterval: interval, initialRateBytesPerSecond: initialRate)
        case .timely:
            return try TIMELYConfiguration(maximumRateBytesPerSecond: lineRate, initialRateBytesPerSecond: initialRate, controlInterval: interval)
        }
    }

    private func run(_ algorithm: Algorithm, roundTripMultiple: Double, flows: [ParetoFlowWorkload.Flow]) throws -> Run {
        let control = try configuration(of: algorithm, roundTripMultiple: roundTripMultiple)
        let (hosts, senderEnds, receiverFlows) = try CongestionExperimentStack.connectedHosts(
            fabric: fabric, senderHosts: senderHosts, connectionsPerHost: connectionsPerHost, congestionControl: control)
        let senders = Array(1...senderHosts)
        let streams = try FlowCompletionStreams(hosts: hosts, senders: senderEnds, receiver: 0, receiverFlows: receiverFlows, seed: fabric.seed)
        let bottleneck = hosts.fabric.egress(0)
        var random = SeededRandom(seed: fabric.seed &+ 1)
        let start = hosts.now
        let end = start &+ arrivalNanoseconds &+ drainNanoseconds
        var next = 0
        var maximumQueue = 0
        while hosts.now < end && (next < flows.count || streams.flowsInProgress > 0) {
            hosts.step()
            maximumQueue = max(maximumQueue, bottleneck.queuedFrames)
            while next < flows.count && start &+ flows[next].arrivalNanoseconds <= hosts.now {
                streams.start(id: next, bytes: flows[next].bytes, host: senders[Int(random.next() % UInt64(senders.count))], now: hosts.now)
                next += 1
            }
            streams.pump()
        }
        var completion = [UInt64?](repeating: nil, count: flows.count)
        for done in streams.completions { completion[done.id] = done.nanoseconds }
        let statistics = bottleneck.emulatorStatistics
        return Run(algorithm: algorithm, roundTripMultiple: roundTripMultiple, completionNanoseconds: completion,
                   maximumQueuePackets: maximumQueue, droppedByQueue: statistics.droppedByQueue, marked: statistics.marked,
                   corruptions: streams.corruptions, queuedFlows: streams.queuedFlows,
                   retransmissionTimeouts: senders.reduce(0) { $0 &+ hosts.stacks[$1].slowPath.counters.retransmissionTimeouts })
    }
}
