#if canImport(Glibc)
import Glibc
#endif
import FlexBench
import FlexKVS
import FlexTCP
import FlexTCPCore

/// FlexKVS on FlexTCP and the benchmark's client on FlexTCP, stepped in turn on the calling thread:
/// both stacks caller-driven on virtual time (a fixed step per round), joined by FlexTCP's
/// in-memory wire, the server set up as `FlexTCPServer.run` sets up one thread. A fixed amount of
/// work with no busy-polling of an idle side, for `flexbench kvs --instructions`, which has
/// callgrind collect only inside `InterleavedServer.measuredStep` (the server's stack round and FlexKVS's
/// service step), so the instructions counted are the server's alone.
///
/// Contract: `run` loads every key, then runs the mix until at least `requests` requests have
/// completed and returns how many did (the load not counted) and the wall-clock and thread-CPU
/// nanoseconds of each server round of the mix that did something (taken outside what callgrind
/// collects): where a tail of the server's own comes from, with no second thread to wait for — a
/// round long in CPU time is work (compaction, growth), one long only in wall-clock time was
/// preempted. Throws when a stack cannot start, the server does not listen, or a connection fails.
enum FlexKVSInterleavedRun {
    /// Virtual time per round (as `InterleavedRun`'s).
    static let nanosecondsPerRound: UInt64 = 500

    static func run(workload: KVSWorkload, connections: Int,
                    requests: Int) throws -> (requests: Int, busyRounds: [(wall: UInt32, cpu: UInt32)]) {
        let wire = try InMemoryWire(capacity: 4096)
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: 1024 << 20, partitions: 1))
        let server = CacheServer(store: store, settings: ServerSettings(tcpPort: FlexKVSInMemorySystem.port))
        var serverConfiguration = FlexTCPServer.configuration(address: FlexKVSInMemorySystem.serverAddress, threads: 1,
                                                              connectionCapacity: 256)
        serverConfiguration.schedule = .callerDriven
        var clientConfiguration = FlexTCPStack.Configuration(address: FlexKVSInMemorySystem.clientAddress)
        clientConfiguration.schedule = .callerDriven
        clientConfiguration.connectionCapacity = connections + 16
        return try FlexTCPStack.withStack(on: wire.second, configuration: serverConfiguration) { serverStack in
            let served = InterleavedServer(stack: serverStack,
                                    service: FlexTCPService(context: try serverStack.makeContext(), server: server, port: FlexKVSInMemorySystem.port))
            var now = MonotonicClock.now()
            for _ in 0..<1_000 where !served.service.isListening {
                now &+= nanosecondsPerRound
                _ = served.measuredStep(now: now)
            }
            guard served.service.isListening else { throw KVSBenchmarkError("FlexKVS on FlexTCP did not listen") }
            return try FlexTCPStack.withStack(on: wire.first, configuration: clientConfiguration) { clientStack in
                // Opening is a few virtual rounds, but under callgrind on a loaded machine the wall clock the
                // transport's deadline reads can pass many minutes first: the limit is only a backstop.
                var busyRounds: [(wall: UInt32, cpu: UInt32)] = []
                var timing = false
                let transport = try FlexTCPClientTransport(stack: clientStack, address: IPv4Address(198, 18, 61, 2), port: FlexKVSInMemorySystem.port,
                                                           count: connections, openingSeconds: 7_200) {
                    now &+= nanosecondsPerRound
                    guard timing else {
                        _ = served.measuredStep(now: now)
                        _ = clientStack.step(now: now)
                        return
                    }
                    let (wall, cpu) = (MonotonicClock.now(), threadCPUNanoseconds())
                    if served.measuredStep(now: now) {
                        busyRounds.append((UInt32(clamping: MonotonicClock.now() - wall), UInt32(clamping: threadCPUNanoseconds() - cpu)))
                    }
                    _ = clientStack.step(now: now)
                }
                let client = KVSClient(workload: workload, transport: transport)
                try client.load()
                busyRounds.reserveCapacity(4 * requests)
                timing = true
                let completed = try client.run(warmUp: 0, duration: 1e6, requestLimit: requests) {}.requests
                return (completed, busyRounds)
            }
        }
    }
}

/// The calling thread's CPU time in nanoseconds.
private func threadCPUNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// One round of the interleaved server: its stack's round at `now`, then FlexKVS's service (the
/// order of `FlexTCPServer.run`'s loop). Callgrind collects only inside `measuredStep`.
private final class InterleavedServer {
    let stack: FlexTCPStack
    let service: FlexTCPService

    init(stack: FlexTCPStack, service: FlexTCPService) {
        self.stack = stack
        self.service = service
    }

    /// True if the stack or the service did something.
    @inline(never)
    func measuredStep(now: UInt64) -> Bool {
        let stepped = stack.step(now: now)
        return service.step() || stepped
    }
}
