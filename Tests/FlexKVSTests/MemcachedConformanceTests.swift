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

    /// memcached 1.6.18 answers a multi-key get over UDP as one datagram set per key (a miss as an
    /// empty header-only datagram with count 0); FlexKVS answers each request as one set (checked
    /// on its own), so multi-key gets are left out of the comparison.
    @Test("UDP: framed replies (one datagram set per request, 1,400-byte datagrams) match memcached's, byte for byte")
    func udp() throws {
        let memcachedPort = freeLoopbackPort()
        let memcachedUDPPort = freeLoopbackPort()
        var arguments = ["memcached", "-p", "\(memcachedPort)", "-U", "\(memcachedUDPPort)", "-l", "127.0.0.1", "-t", "1"]
        if geteuid() == 0 { arguments += ["-u", "root"] }
        let memcached = try RunningCommand(arguments)
        defer { _ = memcached.stop() }
        _ = try RawClient(port: memcachedPort)  // memcached is up
        let server = CacheServer(store: KeyValueStore(), settings: ServerSettings(tcpPort: 0))
        let linux = try LinuxServer(server: server, address: "127.0.0.1", port: 0, udpPort: 0, threads: 1)
        linux.start()
        defer { linux.stop() }
        let clients = [UDPClient(port: memcachedUDPPort), UDPClient(port: try #require(linux.udpPort))]
        let big = String(repeating: "x", count: 5000)
        let requests = [
            udpRequest("set k 5 0 5\r\nhello\r\n"), udpRequest("get k\r\n", requestID: 300), udpRequest("get missing\r\n"),
            udpRequest("set big 0 0 5000\r\n\(big)\r\n"), udpRequest("get big\r\n", requestID: 9), udpRequest("get k\r\nget k\r\n"),
            udpRequest("get k\r\n", total: 2), udpRequest("get k\r\n", sequence: 1), udpRequest("set q 0 0 1 noreply\r\nz\r\n"),
            udpRequest("bogus\r\n"), udpRequest("incr k 1\r\n"), udpRequest("delete k\r\n"), udpRequest("get k\r\n"),
            Array(udpRequest("").prefix(5)),
        ]
        for request in requests {
            let replies = clients.map { $0.exchange(request) }
            #expect(replies[0] == replies[1], """
                \(String(decoding: request.dropFirst(8).prefix(40), as: UTF8.self).debugDescription): \
                memcached \(replies[0].map { $0.prefix(8) + [UInt8(truncatingIfNeeded: $0.count)] }), \
                flexkvs \(replies[1].map { $0.prefix(8) + [UInt8(truncatingIfNeeded: $0.count)] })
                """)
        }
        let multiGet = clients[1].exchange(udpRequest("get q big\r\n", requestID: 77))
        #expect(multiGet.count == 4)
        #expect(multiGet.enumerated().allSatisfy { index, datagram in datagram.prefix(8) == [0, 77, 0, UInt8(index), 0, 4, 0, 0] })
        #expect(multiGet.map(\.count).reduce(0, +) - 4 * 8 == "VALUE q 0 1\r\nz\r\nVALUE big 0 5000\r\n\(big)\r\nEND\r\n".utf8.count)
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
