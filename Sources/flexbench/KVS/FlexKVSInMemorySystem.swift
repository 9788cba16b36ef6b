#if canImport(Glibc)
import Glibc
#endif
import FlexBench
import FlexKVS
import FlexTCP
import Synchronization

/// `flexkvs-flextcp-memory`: FlexKVS on FlexTCP in this process, driven by the benchmark's client
/// on FlexTCP, the two stacks joined by FlexTCP's in-memory wire (as `flextcp-memory` of `flexbench
/// rpc`). The server thread (pinned to the server CPU) runs `FlexTCPServer` with one thread, so it
/// drives its stack itself; the client's thread (pinned to the client CPU) drives its own stack.
///
/// Contract: `run` starts the server, hands `body` a connected transport and the server thread's
/// CPU time in seconds so far, then stops and joins the server; throws what `body` throws or
/// `KVSBenchmarkError` when the server does not come up.
enum FlexKVSInMemorySystem {
    static let name = "flexkvs-flextcp-memory"
    static let serverAddress = "198.18.61.2/24"
    static let clientAddress = "198.18.61.1/24"
    static let port: UInt16 = 11211

    static func run<Result>(connections: Int, memoryMiB: Int,
                            _ body: (FlexTCPClientTransport, _ serverCPUSeconds: () -> Double) throws -> Result) throws -> Result {
        let wire = try InMemoryWire(capacity: 4096)
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: memoryMiB << 20, partitions: 1))
        var settings = ServerSettings(tcpPort: port)
        settings.interface = String(serverAddress.prefix { $0 != "/" })
        let server = CacheServer(store: store, settings: settings)
        let state = ServerThreadState()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            let (state, server, port) = Unmanaged<ServerThreadBox>.fromOpaque(argument!).takeRetainedValue().contents
            CPUPlacement.pinCurrentThread(to: CPUPlacement.cpu(for: .server))
            do {
                try FlexTCPServer.run(server: server, on: port, address: FlexKVSInMemorySystem.serverAddress,
                                      tcpPort: FlexKVSInMemorySystem.port, threads: 1, connectionCapacity: 256,
                                      ready: { state.markReady() }, shouldStop: { state.stopping.load(ordering: .acquiring) })
            } catch {
                state.fail("\(error)")
            }
            return nil
        }, Unmanaged.passRetained(ServerThreadBox((state, server, wire.second))).toOpaque())
        guard started == 0 else { throw KVSBenchmarkError("cannot start the server thread") }
        defer {
            state.stopping.store(true, ordering: .releasing)
            pthread_join(thread, nil)
        }
        let clock = try state.waitUntilReady()
        CPUPlacement.pinCurrentThread(to: CPUPlacement.cpu(for: .client))
        var configuration = FlexTCPStack.Configuration(address: clientAddress)
        configuration.threading = .applicationDriven
        configuration.connectionCapacity = connections + 16
        return try FlexTCPStack.withStack(on: wire.first, configuration: configuration) { stack in
            let transport = try FlexTCPClientTransport(stack: stack, address: IPv4Address(198, 18, 61, 2), port: port, count: connections)
            return try body(transport) {
                var spec = timespec()
                clock_gettime(clock, &spec)
                return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
            }
        }
    }
}

/// What the server thread starts with.
private final class ServerThreadBox {
    let contents: (ServerThreadState, CacheServer, NetworkPort)
    init(_ contents: (ServerThreadState, CacheServer, NetworkPort)) { self.contents = contents }
}

/// The server thread's state as the client's thread sees it: ready (with the thread's CPU clock),
/// failed, and the stop request.
private final class ServerThreadState: Sendable {
    let stopping = Atomic<Bool>(false)
    private let outcome = Mutex<(clock: clockid_t?, failure: String?)>((nil, nil))

    /// Called on the server thread once it listens: publishes its CPU-time clock.
    func markReady() {
        var clock = clockid_t()
        pthread_getcpuclockid(pthread_self(), &clock)
        outcome.withLock { $0.clock = clock }
    }

    func fail(_ reason: String) { outcome.withLock { $0.failure = reason } }

    /// The server thread's CPU clock once it listens; throws if it failed or took over 10 s.
    func waitUntilReady() throws(KVSBenchmarkError) -> clockid_t {
        for _ in 0..<10_000 {
            let (clock, failure) = outcome.withLock { $0 }
            if let failure { throw KVSBenchmarkError("FlexKVS on FlexTCP: \(failure)") }
            if let clock { return clock }
            usleep(1_000)
        }
        throw KVSBenchmarkError("FlexKVS on FlexTCP did not listen within 10 s")
    }
}
