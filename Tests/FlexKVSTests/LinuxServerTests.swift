import Testing
@testable import FlexKVS
#if canImport(Glibc)
import Glibc
#endif

/// The Linux transport with misbehaving clients, on loopback.
@Suite("FlexKVS Linux transport with misbehaving clients", .serialized)
struct LinuxServerTests {
    @Test("a client that announces a huge value and disconnects leaves nothing behind; others are served")
    func hugeAnnouncementThenDisconnect() throws {
        let server = CacheServer(store: KeyValueStore(), settings: ServerSettings(tcpPort: 0))
        let linux = try LinuxServer(server: server, address: "127.0.0.1", port: 0, threads: 1)
        linux.start()
        defer { linux.stop() }
        for _ in 0..<20 {
            let rude = try RawClient(port: linux.port)
            try rude.send(Array("set k 0 0 2000000000\r\n".utf8) + [UInt8](repeating: 0x61, count: 100_000))
            _ = try rude.read(until: Array("\r\n".utf8))
        }
        let polite = try RawClient(port: linux.port)
        try polite.send(Array("set k 0 0 1\r\nv\r\nget k\r\n".utf8))
        #expect(try polite.read(until: Array("END\r\n".utf8)) == Array("STORED\r\nVALUE k 0 1\r\nv\r\n".utf8))
        // The rude connections are gone (the server noticed their close).
        var connections = -1
        for _ in 0..<100 {
            connections = server.currentConnections.load(ordering: .relaxed)
            if connections == 1 { break }
            usleep(10_000)
        }
        #expect(connections == 1)
    }

    @Test("a client that pipelines big gets and reads nothing does not stop the server serving others")
    func clientThatDoesNotRead() throws {
        let server = CacheServer(store: KeyValueStore(), settings: ServerSettings(tcpPort: 0))
        let linux = try LinuxServer(server: server, address: "127.0.0.1", port: 0, threads: 1)
        linux.start()
        defer { linux.stop() }
        let writer = try RawClient(port: linux.port)
        try writer.send(Array("set big 0 0 500000\r\n".utf8) + [UInt8](repeating: 0x62, count: 500_000) + Array("\r\n".utf8))
        _ = try writer.read(until: Array("STORED\r\n".utf8))
        let greedy = try RawClient(port: linux.port)
        try greedy.send(Array(String(repeating: "get big\r\n", count: 2000).utf8))
        let other = try RawClient(port: linux.port)
        try other.send(Array("version\r\n".utf8))
        #expect(try other.read(until: Array("\r\n".utf8)) == Array("VERSION \(CacheServer.version)".utf8))
    }
}
