import FlexNVMe
import Testing

/// A host connecting to a controller whose Identify data says something unusable: the host refuses
/// bad block sizes with an error naming the field and bounds MDTS, never trapping or looping.
@Suite("NVMe host against hostile Identify data")
struct HostileIdentifyTests {
    /// A transport to a fresh 1 MiB target whose Identify Controller byte `controllerByte` (if any)
    /// and Identify Namespace byte `namespaceByte` (if any) are rewritten in flight.
    private func tamperedTransport(controllerByte: (index: Int, value: UInt8)? = nil,
                                   namespaceByte: (index: Int, value: UInt8)? = nil) -> MemoryHostTransport {
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420),
                                namespace: MemoryNamespace(byteCount: 1 << 20))
        let transport = MemoryHostTransport(target: target)
        var identifyReplies = 0
        transport.tamper = { direction, bytes in
            guard direction == .toHost else { return }
            for pdu in pduRanges(bytes) where pdu.type == PDUType.c2hData.rawValue {
                let dataStart = pdu.range.lowerBound + Int(bytes[pdu.range.lowerBound + 3])
                guard pdu.range.upperBound - dataStart == 4096, identifyReplies < 2 else { continue }
                // The host identifies the controller first, then namespace 1.
                if let change = identifyReplies == 0 ? controllerByte : namespaceByte { bytes[dataStart + change.index] = change.value }
                identifyReplies += 1
            }
        }
        return transport
    }

    private static let options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
    private static let lbaFormat0BlockSize = 128 + 2, maximumDataTransferSize = 77

    @Test("a block size exponent (LBADS) outside 9...16 is refused, naming LBADS", arguments: [0, 8, 17, 48, 64, 255] as [UInt8])
    func refusesBlockSize(exponent: UInt8) {
        let transport = tamperedTransport(namespaceByte: (Self.lbaFormat0BlockSize, exponent))
        #expect {
            _ = try NVMeHost(transport: transport, options: Self.options)
        } throws: { error in
            guard case HostError.unusableController(let why) = error else { return false }
            return why.contains("LBADS \(exponent)")
        }
    }

    @Test("MDTS beyond what a 16-bit block count carries means that limit; the host still writes and reads",
          arguments: [0, 20, 21, 51, 52, 63, 64, 255] as [UInt8])
    func boundsTransferSize(mdts: UInt8) throws {
        let host = try NVMeHost(transport: tamperedTransport(controllerByte: (Self.maximumDataTransferSize, mdts)), options: Self.options)
        try #require(host.maximumTransferBytes == 65536 * host.blockSize)
        let (written, read, statuses) = try writeAndReadBack(host, byteCount: 64 << 10, seed: UInt64(mdts))
        #expect(statuses.allSatisfy(\.isSuccess) && written == read)
    }

    @Test("a small MDTS still splits requests as before")
    func keepsSmallTransferSize() throws {
        let host = try NVMeHost(transport: tamperedTransport(controllerByte: (Self.maximumDataTransferSize, 1)), options: Self.options)
        #expect(host.maximumTransferBytes == 8192)
    }
}
