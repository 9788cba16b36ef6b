import FlexPort
import FlexTCPCore

/// Both sides of a workload on FlexTCP stacks joined by an in-memory wire of `mtu`, stepped in turn on the
/// calling thread until the counting side has completed a number of messages: a fixed amount of
/// work with no second thread and no spinning while the other side runs, on virtual time, so that
/// `valgrind --tool=callgrind` counts instructions per message repeatably for either path.
///
/// Both stacks hash flows with one fixed key (`flowTableKey`), not a random one per run.
///
/// A warm-up of `warmUpNanoseconds` of virtual time comes first and is counted nowhere (as `flexbench
/// rpc` measures after its warm-up): the congestion control's slow start (10 ms and more at its
/// initial 10 Mbit/s) is then over, so the figures are the steady state's.
///
/// Contract: `run` returns the messages completed after the warm-up (at least `messages`, unless
/// `maximumSteps` rounds passed first) and the rounds and time taken; then, if `idleRounds` > 0, the client stops
/// issuing requests and both sides are stepped that many rounds more (the first few drain what is in
/// flight, the rest are empty passes; they are counted apart, in neither `rounds` nor the time, but
/// the messages they drain are in `messages`). It throws when a side fails.
public enum InterleavedRun {
    /// Virtual time per round, about what a round of both sides takes natively here.
    static let virtualNanosecondsPerRound: UInt64 = 500
    /// The default warm-up: past DCTCP's slow start from 10 Mbit/s (about 10 ms) with room to spare.
    public static let defaultWarmUpNanoseconds: UInt64 = 15_000_000
    /// The flow-table key of both stacks: fixed, so that probe lengths (with 64 connections, 17 to
    /// 800 instructions per RPC between random keys) and the figures repeat from run to run.
    static let flowTableKey = FlowKeyHasher(key0: 0x243F_6A88_85A3_08D3, key1: 0x1319_8A2E_0370_7344)

    public struct Outcome: Sendable {
        public var messages: UInt64
        public var rounds: Int
        public var nanoseconds: UInt64
        public var errors: UInt64

        /// Payload of `messages` messages of `messageBytes` over the virtual time of `rounds` rounds.
        public func virtualGigabitsPerSecond(messageBytes: Int) -> Double {
            Double(messages) * Double(messageBytes) * 8 / Double(max(1, UInt64(rounds) &* virtualNanosecondsPerRound))
        }
    }

    public static func run(_ spec: WorkloadSpec, path: FlexTCPApplicationPath, messages: UInt64, idleRounds: Int = 0,
                           maximumSteps: Int = 100_000_000, mtu: Int = FlexTCPMemorySystem.defaultMTU,
                           congestionControl: BenchmarkCongestionControl = .systemsDefault,
                           warmUpNanoseconds: UInt64 = defaultWarmUpNanoseconds) throws(BenchmarkFailure) -> Outcome {
        let wire = try BenchmarkWire.makeMemoryWire(for: spec, mtu: mtu)
        let stacks = FlexTCPBenchmarkStack(congestionControl: congestionControl, flowTableKey: flowTableKey)
        let server = try stacks.makeWorker(spec, role: .server, port: wire.b, path: path).worker
        let client = try stacks.makeWorker(spec, role: .client, port: wire.a, path: path).worker
        // The counting side's endpoint, taken once: read through the worker each round it costs a retain and a release.
        let counting = (spec.workload.countingRole == .server ? server : client).endpoint
        let clock = MonotonicTimeSource()
        try server.prepare()
        try client.prepare()
        // The stacks see virtual time, a fixed step per round: timer work per message is then the
        // same however fast the machine (or valgrind) runs, so instruction counts repeat.
        var now = clock.now()
        try server.begin(now: now)
        try client.begin(now: now)
        let warmUpEnd = now &+ warmUpNanoseconds
        while now < warmUpEnd {
            now &+= virtualNanosecondsPerRound
            if let failure = server.step(now: now) ?? client.step(now: now) { throw BenchmarkFailure(failure) }
        }
        let warmUpMessages = counting.metrics.messages
        let start = clock.now()
        var rounds = 0
        while counting.metrics.messages &- warmUpMessages < messages && rounds < maximumSteps {
            now &+= virtualNanosecondsPerRound
            if let failure = server.step(now: now) ?? client.step(now: now) { throw BenchmarkFailure(failure) }
            rounds += 1
        }
        let elapsed = clock.now() - start
        client.endpoint.issuesRequests = false
        for _ in 0..<idleRounds {
            now &+= virtualNanosecondsPerRound
            if let failure = server.step(now: now) ?? client.step(now: now) { throw BenchmarkFailure(failure) }
        }
        return Outcome(messages: counting.metrics.messages &- warmUpMessages, rounds: rounds, nanoseconds: elapsed,
                       errors: server.endpoint.metrics.errors &+ client.endpoint.metrics.errors)
    }
}
