import FlexPort

/// Both sides of a workload on FlexTCP stacks joined by an in-memory wire, stepped in turn on the
/// calling thread until the counting side has completed a number of messages: a fixed amount of
/// work with no second thread and no spinning while the other side runs, so that
/// `valgrind --tool=callgrind` counts instructions per message repeatably for either path.
///
/// Contract: `run` returns the messages completed (at least `messages`, unless `maximumSteps`
/// rounds passed first) and the rounds and time taken; it throws when a side fails.
public enum InterleavedRun {
    public struct Outcome: Sendable {
        public var messages: UInt64
        public var rounds: Int
        public var nanoseconds: UInt64
        public var errors: UInt64
    }

    public static func run(_ spec: WorkloadSpec, path: FlexTCPApplicationPath, messages: UInt64,
                           maximumSteps: Int = 100_000_000) throws(BenchmarkFailure) -> Outcome {
        let wire: MemoryWire
        do {
            wire = try MemoryWire(capacity: FlexTCPBenchmarkStack.framesInFlight(for: spec), maximumFrameLength: 1514,
                                  trustsPartialChecksums: true)
        } catch {
            throw BenchmarkFailure("cannot make the in-memory wire: \(error)")
        }
        let stacks = FlexTCPBenchmarkStack()
        let server = try stacks.makeWorker(spec, role: .server, port: wire.b, path: path).worker
        let client = try stacks.makeWorker(spec, role: .client, port: wire.a, path: path).worker
        let counting = spec.workload.countingRole == .server ? server : client
        let clock = MonotonicTimeSource()
        try server.prepare()
        try client.prepare()
        let start = clock.now()
        try server.begin(now: start)
        try client.begin(now: start)
        var rounds = 0
        while counting.endpoint.metrics.messages < messages && rounds < maximumSteps {
            let now = clock.now()
            if let failure = server.step(now: now) ?? client.step(now: now) { throw BenchmarkFailure(failure) }
            rounds += 1
        }
        return Outcome(messages: counting.endpoint.metrics.messages, rounds: rounds, nanoseconds: clock.now() - start,
                       errors: server.endpoint.metrics.errors &+ client.endpoint.metrics.errors)
    }
}
