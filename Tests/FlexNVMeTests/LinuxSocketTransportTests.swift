import FlexNVMe
import Testing

@Suite("NVMe/TCP over kernel sockets on loopback")
struct LinuxSocketTransportTests {
    @Test("write and read back 1 MiB over 3 I/O queues, digests off and on", arguments: [false, true])
    func roundTrip(digests: Bool) throws {
        try withLinuxTarget { server in
            var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
            options.ioQueues = 3
            options.queueDepth = 16
            options.headerDigest = digests
            options.dataDigest = digests
            let host = try NVMeHost(transport: LinuxHostTransport(address: "127.0.0.1", port: server.port), options: options)
            defer { host.disconnect() }
            #expect(host.ioQueues.count == 3)
            #expect(host.blockSize == 4096)
            let result = try writeAndReadBack(host, byteCount: 1 << 20, seed: digests ? 7 : 8)
            #expect(result.statuses.allSatisfy { $0.isSuccess })
            #expect(result.written == result.read)
            #expect(server.target.writesCompleted > 0)
        }
    }

    @Test("the discovery controller lists the NVM subsystem at the address the host reached")
    func discovery() throws {
        try withLinuxTarget { server in
            let host = try NVMeHost(transport: LinuxHostTransport(address: "127.0.0.1", port: server.port),
                                    options: HostOptions(subsystemNQN: NQN.discovery))
            defer { host.disconnect() }
            #expect(host.controllerData[111] == 2)
            let entries = try host.discoveryLog()
            let expected = DiscoveryEntry(subsystemNQN: "nqn.2026-12.org.flextcp:test", address: "127.0.0.1", serviceID: String(server.port))
            #expect(entries == [expected])
        }
    }
}
