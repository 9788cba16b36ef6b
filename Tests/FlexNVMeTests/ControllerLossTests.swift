import FlexNVMe
import Testing

@Suite("NVMe/TCP host when the controller ends every connection")
struct ControllerLossTests {
    @Test("a write outstanding when the target ends every connection (Linux's nvmet on a bad H2CData digest) reports Transient Transport Error and stores nothing")
    func writeDuringControllerLoss() throws {
        let namespace = MemoryNamespace(byteCount: 1 << 20)
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420), namespace: namespace)
        let transport = MemoryHostTransport(target: target)
        var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
        options.dataDigest = true
        let host = try NVMeHost(transport: transport, options: options)
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
