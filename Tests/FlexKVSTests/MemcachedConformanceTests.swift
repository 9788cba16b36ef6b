import FlexTestHosts
import Testing
@testable import FlexKVS
#if canImport(Glibc)
import Glibc
#endif

/// FlexKVS on Linux sockets (in this process, on loopback) against the real clients: Debian's
/// `memccapable` (libmemcached-tools) and Debian's `memcached` itself, driven side by side.
@Suite("FlexKVS conformance with memcached clients", .serialized)
struct MemcachedConformanceTests {
    @Test("memccapable passes in full, text and binary", arguments: [1, 2])
    func memccapable(threads: Int) throws {
        try withLinuxServer(threads: threads) { port in
            let result = try RunningCommand(["memccapable", "-h", "127.0.0.1", "-p", "\(port)"]).wait(timeout: .seconds(60))
            #expect(result.succeeded, "\(result)")
            #expect(result.standardOutput.contains("All tests passed"), "\(result.standardOutput)")
            #expect(!result.standardOutput.contains("[FAIL]"), "\(result.standardOutput)")
        }
    }

    @Test("a seeded random mix of every command gets memcached's replies, byte for byte (CAS uniques, version and stats by meaning)",
          arguments: [Dialect.text, .binary])
    func differential(dialect: Dialect) throws {
        let memcachedPort = freeLoopbackPort()
        var arguments = ["memcached", "-p", "\(memcachedPort)", "-U", "0", "-l", "127.0.0.1", "-t", "1"]
        if geteuid() == 0 { arguments += ["-u", "root"] }
        let memcached = try RunningCommand(arguments)
        defer { _ = memcached.stop() }
        try withLinuxServer(threads: 1) { port in
            switch dialect {
            case .text:
                var mix = DifferentialMix(seed: 0x5EED_F1E7)
                try mix.run(steps: 1500, reference: memcachedPort, candidate: port)
            case .binary:
                var mix = BinaryDifferentialMix(seed: 0xB1_5EED)
                try mix.run(steps: 1500, reference: memcachedPort, candidate: port)
            }
        }
    }

    enum Dialect: CustomStringConvertible, Sendable {
        case text, binary
        var description: String { self == .text ? "text" : "binary" }
    }

    /// Runs `body` with FlexKVS listening on 127.0.0.1 (an ephemeral port), stopping it on every exit path.
    private func withLinuxServer(threads: Int, _ body: (UInt16) throws -> Void) throws {
        let store = KeyValueStore(configuration: StoreConfiguration(partitions: threads))
        let server = CacheServer(store: store, settings: ServerSettings(tcpPort: 0))
        let linux = try LinuxServer(server: server, address: "127.0.0.1", port: 0, threads: threads)
        linux.start()
        defer { linux.stop() }
        try body(linux.port)
    }
}
