#if os(Linux)
import Foundation
import FlexTestHosts
import Synchronization
import Testing
@testable import FlexKVS

/// FlexKVS on FlexTCP (AF_PACKET on one end of a veth pair, in its own namespace, at 198.18.12.2)
/// against `memccapable` run by the Linux kernel's TCP in the other namespace (198.18.12.1).
/// Needs root (namespaces, AF_PACKET), as the interop tests do; CI runs as root.
@Suite("FlexKVS on FlexTCP with memcached clients", .serialized)
struct FlexTCPConformanceTests {
    @Test("memccapable passes in full against FlexKVS on FlexTCP over a veth pair", arguments: [1, 2])
    func memccapableOverFlexTCP(threads: Int) throws {
        try TestNetwork.with { network in
            let stackSide = try network.makeNamespace()
            let kernel = try network.makeNamespace()
            let pair = try network.makeVethPair(between: stackSide, and: kernel)
            try kernel.assign(TestAddress("198.18.12.1/24"), to: pair.second.name)
            let result = try withFlexTCPServer(in: stackSide, interface: pair.first.name, address: "198.18.12.2/24", threads: threads) {
                try kernel.run(["memccapable", "-h", "198.18.12.2", "-p", "11211"], timeout: .seconds(120))
            }
            #expect(result.succeeded, "\(result)")
            #expect(result.standardOutput.contains("All tests passed"), "\(result.standardOutput)")
        }
    }

    /// Runs FlexKVS on FlexTCP in `namespace` on a thread of its own while `body` runs; stops and joins it after.
    private func withFlexTCPServer<Result>(in namespace: TestNamespace, interface: String, address: String, threads: Int,
                                           _ body: () throws -> Result) throws -> Result {
        let server = CacheServer(store: KeyValueStore(configuration: StoreConfiguration(partitions: threads)),
                                 settings: ServerSettings(tcpPort: 11211))
        let flags = ServerFlags()
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                try namespace.perform {
                    try FlexTCPServer.run(server: server, on: .interface(named: interface), address: address, tcpPort: 11211, threads: threads,
                                          ready: { flags.ready.store(true, ordering: .releasing) },
                                          shouldStop: { flags.stop.load(ordering: .acquiring) })
                }
            } catch {
                flags.failure.withLock { $0 = "\(error)" }
            }
            finished.signal()
        }
        thread.start()
        defer {
            flags.stop.store(true, ordering: .releasing)
            finished.wait()
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while !flags.ready.load(ordering: .acquiring) && clock.now < deadline && flags.failure.withLock({ $0 == nil }) {
            usleep(10_000)
        }
        guard flags.ready.load(ordering: .acquiring) else {
            throw RawClient.Failure(description: "FlexKVS on FlexTCP did not start: \(flags.failure.withLock { $0 ?? "timed out" })")
        }
        return try body()
    }
}

/// What the test thread and the server thread share.
private final class ServerFlags: Sendable {
    let ready = Atomic<Bool>(false)
    let stop = Atomic<Bool>(false)
    let failure = Mutex<String?>(nil)
}
#endif
