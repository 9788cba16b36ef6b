import FlexNVMe
import Testing

@Suite("NVMe/TCP over FlexTCP on the in-memory wire")
struct FlexTCPTransportTests {
    @Test("write and read back 1 MiB over 3 I/O queues, digests off and on", arguments: [false, true])
    func roundTrip(digests: Bool) throws {
        try withFlexTCPTarget { target, transport in
            var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
            options.ioQueues = 3
            options.queueDepth = 16
            options.headerDigest = digests
            options.dataDigest = digests
            let host = try NVMeHost(transport: transport, options: options)
            defer { host.disconnect() }
            #expect(host.ioQueues.count == 3)
            let result = try writeAndReadBack(host, byteCount: 1 << 20, seed: digests ? 17 : 18)
            #expect(result.statuses.allSatisfy { $0.isSuccess })
            #expect(result.written == result.read)
            #expect(target.writesCompleted > 0)
        }
    }
}
