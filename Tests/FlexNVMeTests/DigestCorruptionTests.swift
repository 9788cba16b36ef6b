import FlexNVMe
import Testing

@Suite("NVMe/TCP data digest corruption")
struct DigestCorruptionTests {
    private func connectedHost(_ transport: MemoryHostTransport) throws -> NVMeHost {
        var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
        options.headerDigest = true
        options.dataDigest = true
        options.queueDepth = 8
        return try NVMeHost(transport: transport, options: options)
    }

    /// Flips a data byte of the first PDU of `type` that carries data in flight in `direction`, once.
    private func corruptOnce(_ transport: MemoryHostTransport, _ direction: MemoryHostTransport.Direction, type: UInt8) {
        var done = false
        transport.tamper = { flowing, bytes in
            guard !done, flowing == direction else { return }
            for pdu in pduRanges(bytes) where pdu.type == type && pdu.range.count > 200 {
                bytes[pdu.range.lowerBound + 100] ^= 0x01
                done = true
                return
            }
        }
    }

    @Test("a write whose H2CData digest fails completes with Transient Transport Error and stores nothing",
          arguments: [(0x06 as UInt8, 65536), (0x04 as UInt8, 4096)])
    func corruptedWrite(type: UInt8, size: Int) throws {
        let namespace = MemoryNamespace(byteCount: 1 << 20)
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420), namespace: namespace)
        let transport = MemoryHostTransport(target: target)
        let host = try connectedHost(transport)
        corruptOnce(transport, .toTarget, type: type)
        var data = seededBytes(size, seed: 3)
        let statuses = try data.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: 4, buffer: $0)]) }
        #expect(statuses == [.transientTransportError])
        #expect(target.counters.dataDigestErrors + transport.pairs.reduce(0) { $0 + $1.connection.counters.dataDigestErrors } == 1)
        let stored = namespace.mappedBytes(4 * 4096..<(4 * 4096 + size))!
        #expect(stored.allSatisfy { $0 == 0 })
        #expect(target.writesCompleted == 0)
        // The connection survives: the same write, intact, succeeds.
        let again = try data.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: 4, buffer: $0)]) }
        #expect(again == [.success])
        #expect(firstDifference(stored, data) == nil)
    }

    @Test("a read whose C2HData digest fails is retried and returns the right data")
    func corruptedRead() throws {
        let namespace = MemoryNamespace(byteCount: 1 << 20)
        let expected = seededBytes(65536, seed: 4)
        expected.withUnsafeBytes { namespace.write($0, at: 0) }
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420), namespace: namespace)
        let transport = MemoryHostTransport(target: target)
        let host = try connectedHost(transport)
        corruptOnce(transport, .toHost, type: 0x07)
        var data = [UInt8](repeating: 0, count: 65536)
        let statuses = try data.withUnsafeMutableBytes { try host.run([BlockIO(.read, lba: 0, buffer: $0)]) }
        #expect(statuses == [.success])
        #expect(firstDifference(data, expected) == nil)
        #expect(host.ioQueues[0].counters.dataDigestErrors == 1)
    }

    @Test("with no retries left a corrupted read fails with Transient Transport Error")
    func corruptedReadWithoutRetry() throws {
        let namespace = MemoryNamespace(byteCount: 1 << 20)
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420), namespace: namespace)
        let transport = MemoryHostTransport(target: target)
        var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
        options.dataDigest = true
        options.readRetries = 0
        let host = try NVMeHost(transport: transport, options: options)
        corruptOnce(transport, .toHost, type: 0x07)
        var data = [UInt8](repeating: 0, count: 65536)
        let statuses = try data.withUnsafeMutableBytes { try host.run([BlockIO(.read, lba: 0, buffer: $0)]) }
        #expect(statuses == [.transientTransportError])
    }

    @Test("a write in flight when the target ends every connection (Linux's nvmet on a bad H2CData digest) reports Transient Transport Error and stores nothing")
    func writeDuringControllerLoss() throws {
        let namespace = MemoryNamespace(byteCount: 1 << 20)
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420), namespace: namespace)
        let transport = MemoryHostTransport(target: target)
        let host = try connectedHost(transport)
        transport.tamper = { [unowned transport] direction, bytes in
            guard direction == .toTarget, pduRanges(bytes).contains(where: { $0.type == PDUType.h2cData.rawValue }) else { return }
            bytes = []
            transport.endsEveryConnection = true
        }
        var data = seededBytes(65536, seed: 9)
        let statuses = try data.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: 0, buffer: $0)]) }
        #expect(statuses == [.transientTransportError])
        #expect(namespace.mappedBytes(0..<65536)!.allSatisfy { $0 == 0 })
        #expect(host.ioQueues.allSatisfy { $0.isFinished })
    }
}
