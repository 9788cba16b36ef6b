import FlexNVMe
import Testing

/// The kernel-socket transport's ways of moving bytes, each run through the same host/target tests.
let socketTransportVariants = [
    SocketTransportOptions(engine: .epoll),
    SocketTransportOptions(engine: .epoll, zeroCopySends: true),
    SocketTransportOptions(engine: .uring),
]

@Suite("NVMe/TCP over kernel sockets on loopback (epoll, epoll with MSG_ZEROCOPY, io_uring)")
struct LinuxSocketTransportTests {
    @Test("write and read back 1 MiB over 3 I/O queues, digests off and on",
          arguments: socketTransportVariants, [false, true])
    func roundTrip(variant: SocketTransportOptions, digests: Bool) throws {
        try withLinuxTarget(options: variant) { server in
            var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
            options.ioQueues = 3
            options.queueDepth = 16
            options.headerDigest = digests
            options.dataDigest = digests
            let transport = LinuxHostTransport(address: "127.0.0.1", port: server.port, options: variant)
            let host = try NVMeHost(transport: transport, options: options)
            #expect(host.ioQueues.count == 3)
            #expect(host.blockSize == 4096)
            let result = try writeAndReadBack(host, byteCount: 1 << 20, seed: digests ? 7 : 8)
            host.disconnect()
            #expect(result.statuses.allSatisfy { $0.isSuccess })
            #expect(result.written == result.read)
            #expect(server.target.writesCompleted > 0)
            if variant.zeroCopySends {
                // 64 and 128 KiB writes go as H2CData the host sends with MSG_ZEROCOPY; disconnecting waited for every completion.
                #expect(transport.zeroCopy.refused == 0)
                #expect(transport.zeroCopy.sends > 0)
                #expect(transport.zeroCopy.completed == transport.zeroCopy.sends)
                // Loopback hands the pages to the receiving socket, which copies them: the kernel says so.
                #expect(transport.zeroCopy.copied == transport.zeroCopy.completed)
                #expect(server.zeroCopy.sends > 0)  // the target's C2HData of the reads
            } else {
                #expect(transport.zeroCopy.sends == 0 && server.zeroCopy.sends == 0)
            }
        }
    }

    @Test("the discovery controller lists the NVM subsystem at the address the host reached", arguments: socketTransportVariants)
    func discovery(variant: SocketTransportOptions) throws {
        try withLinuxTarget(options: variant) { server in
            let host = try NVMeHost(transport: LinuxHostTransport(address: "127.0.0.1", port: server.port, options: variant),
                                    options: HostOptions(subsystemNQN: NQN.discovery))
            defer { host.disconnect() }
            #expect(host.controllerData[111] == 2)
            let entries = try host.discoveryLog()
            let expected = DiscoveryEntry(subsystemNQN: "nqn.2026-12.org.flextcp:test", address: "127.0.0.1", serviceID: String(server.port))
            #expect(entries == [expected])
        }
    }
}
