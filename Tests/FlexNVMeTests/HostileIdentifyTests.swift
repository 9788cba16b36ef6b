import FlexNVMe
import Testing

/// A host connecting to a controller whose Identify data or capabilities say something unusable or
/// unusual: the host refuses bad block sizes and page sizes with an error naming the field, bounds
/// MDTS, uses the LBA format FLBAS selects and the smallest memory page CAP allows, never trapping or looping.
@Suite("NVMe host against hostile Identify data")
struct HostileIdentifyTests {
    typealias ByteChange = (index: Int, value: UInt8)

    /// A transport to a fresh 1 MiB target whose Identify Controller bytes `controllerBytes` and Identify
    /// Namespace bytes `namespaceBytes` are rewritten in flight, and whose CAP byte 6 (MPSMIN in bits 3:0,
    /// MPSMAX in 7:4) reads `pageSizes` if given. `configurations` collects the CC values the host sets.
    private func tamperedTransport(controllerBytes: [ByteChange] = [], namespaceBytes: [ByteChange] = [],
                                   pageSizes: UInt8? = nil, configurations: Box<[UInt64]> = Box([])) -> MemoryHostTransport {
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420),
                                namespace: MemoryNamespace(byteCount: 1 << 20))
        let transport = MemoryHostTransport(target: target)
        var identifyReplies = 0
        var capabilitiesCommand: UInt16?
        transport.tamper = { direction, bytes in
            for pdu in pduRanges(bytes) {
                let start = pdu.range.lowerBound
                if direction == .toTarget && pdu.type == PDUType.capsuleCmd.rawValue && bytes[start + 8] == AdminOpcode.fabrics {
                    let type = bytes[start + 12], property = bytes.loadLittleUInt32(at: start + 8 + 44)
                    if type == FabricsType.propertyGet && property == ControllerProperty.capabilities {
                        capabilitiesCommand = UInt16(bytes[start + 10]) | UInt16(bytes[start + 11]) << 8
                    } else if type == FabricsType.propertySet && property == ControllerProperty.configuration {
                        configurations.value.append(UInt64(bytes.loadLittleUInt32(at: start + 8 + 48)))
                    }
                }
                guard direction == .toHost else { continue }
                if pdu.type == PDUType.capsuleResp.rawValue, let pageSizes, let command = capabilitiesCommand,
                   UInt16(bytes[start + 20]) | UInt16(bytes[start + 21]) << 8 == command {
                    bytes[start + 8 + 6] = pageSizes
                    capabilitiesCommand = nil
                }
                guard pdu.type == PDUType.c2hData.rawValue else { continue }
                let dataStart = start + Int(bytes[start + 3])
                guard pdu.range.upperBound - dataStart == 4096, identifyReplies < 2 else { continue }
                // The host identifies the controller first, then namespace 1.
                for change in identifyReplies == 0 ? controllerBytes : namespaceBytes { bytes[dataStart + change.index] = change.value }
                identifyReplies += 1
            }
        }
        return transport
    }

    private static let options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
    private static let lbaFormat0BlockSize = 128 + 2, maximumDataTransferSize = 77, formatCount = 25, formattedSize = 26

    @Test("a block size exponent (LBADS) outside 9...16 is refused, naming LBADS", arguments: [0, 8, 17, 48, 64, 255] as [UInt8])
    func refusesBlockSize(exponent: UInt8) {
        let transport = tamperedTransport(namespaceBytes: [(Self.lbaFormat0BlockSize, exponent)])
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
        var options = Self.options
        options.transferLimitWithoutMDTS = .max  // MDTS 0 too: only the 16-bit block count limits
        let host = try NVMeHost(transport: tamperedTransport(controllerBytes: [(Self.maximumDataTransferSize, mdts)]), options: options)
        try #require(host.maximumTransferBytes == 65536 * host.blockSize)
        let (written, read, statuses) = try writeAndReadBack(host, byteCount: 64 << 10, seed: UInt64(mdts))
        #expect(statuses.allSatisfy(\.isSuccess) && written == read)
    }

    @Test("a command of 65,536 blocks (the 16-bit edge) encodes NLB 0xFFFF, which reads back as 65,536 blocks")
    func encodesLargestBlockCount() {
        let command = Command.blocks(IOOpcode.read, lba: 3, blocks: 65536)
        #expect(command.dword(12) == 0xFFFF)
        #expect(command.blockCount == 65536 && command.blockCount * 512 == 32 << 20)
    }

    @Test("without MDTS a command carries the default 1280 KiB (Linux's max_sectors_kb)")
    func defaultTransferLimitWithoutMDTS() throws {
        let host = try NVMeHost(transport: tamperedTransport(controllerBytes: [(Self.maximumDataTransferSize, 0)]), options: Self.options)
        #expect(host.maximumTransferBytes == 1280 << 10)
    }

    /// (transferLimitWithoutMDTS, the per-command limit it gives with 4 KiB blocks).
    static let transferLimits: [(Int, Int)] = [(200_000, 196_608), (65536, 65536), (100, 4096)]

    @Test("without MDTS the configured limit, in whole blocks (at least one), splits a 1 MiB request the target accepts",
          arguments: transferLimits)
    func configuredTransferLimitWithoutMDTS(limit: (option: Int, bytes: Int)) throws {
        var options = Self.options
        options.transferLimitWithoutMDTS = limit.option
        let host = try NVMeHost(transport: tamperedTransport(controllerBytes: [(Self.maximumDataTransferSize, 0)]), options: options)
        try #require(host.blockSize == 4096)
        #expect(host.maximumTransferBytes == limit.bytes)
        var source = seededBytes(1 << 20, seed: UInt64(limit.option))
        var copy = [UInt8](repeating: 0, count: 1 << 20)
        // The target's own MDTS is 256 KiB: one 1 MiB command would be refused (Invalid Field).
        let wrote = try source.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: 0, buffer: $0)]) }
        let read = try copy.withUnsafeMutableBytes { try host.run([BlockIO(.read, lba: 0, buffer: $0)]) }
        #expect(wrote == [.success] && read == [.success])
        #expect(firstDifference(copy, source) == nil)
    }

    @Test("a host allowed more than the target's own MDTS gets Invalid Field per command promptly, and stays usable")
    func oversizeCommandRefused() throws {
        let outcome = try withinDeadline(seconds: 20) { () -> ([NVMeStatus], [NVMeStatus], [NVMeStatus]) in
            var options = Self.options
            options.transferLimitWithoutMDTS = .max  // the controller reports MDTS 0, the target enforces 256 KiB
            options.timeoutMilliseconds = 5_000
            let host = try NVMeHost(transport: tamperedTransport(controllerBytes: [(Self.maximumDataTransferSize, 0)]), options: options)
            try #require(host.maximumTransferBytes >= 1 << 20)
            var whole = seededBytes(1 << 20, seed: 41)
            var small = seededBytes(64 << 10, seed: 42)
            let wrote = try whole.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: 0, buffer: $0)]) }
            let read = try whole.withUnsafeMutableBytes { try host.run([BlockIO(.read, lba: 0, buffer: $0)]) }
            let fits = try small.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: 0, buffer: $0), BlockIO(.read, lba: 0, buffer: $0)]) }
            return (wrote, read, fits)
        }
        guard let (wrote, read, fits) = outcome else { return }
        #expect(wrote == [.invalidField] && read == [.invalidField])
        #expect(fits == [.success, .success])
    }

    @Test("a small MDTS still splits requests as before")
    func keepsSmallTransferSize() throws {
        let host = try NVMeHost(transport: tamperedTransport(controllerBytes: [(Self.maximumDataTransferSize, 1)]), options: Self.options)
        #expect(host.maximumTransferBytes == 8192)
    }

    /// (NLBAF, FLBAS, the LBA format given LBADS 9): the format FLBAS selects, its bits 6:5 the index's upper
    /// bits only with more than 16 formats. The target's format 0 is 4 KiB.
    static let selectedFormats: [(UInt8, UInt8, Int)] = [(1, 0x01, 1), (3, 0x21, 1), (16, 0x20, 16), (31, 0x2F, 31), (63, 0x6F, 63)]

    @Test("the block size comes from the LBA format FLBAS selects, not format 0", arguments: selectedFormats)
    func usesSelectedFormat(format: (count: UInt8, flbas: UInt8, index: Int)) throws {
        let transport = tamperedTransport(namespaceBytes: [(Self.formatCount, format.count), (Self.formattedSize, format.flbas),
                                                           (128 + 4 * format.index + 2, 9)])
        let host = try NVMeHost(transport: transport, options: Self.options)
        #expect(host.blockSize == 512)
    }

    @Test("FLBAS selecting a format beyond NLBAF is refused, naming FLBAS", arguments: [(0, 0x01), (3, 0x04), (16, 0x31)] as [(UInt8, UInt8)])
    func refusesMissingFormat(format: (count: UInt8, flbas: UInt8)) {
        let transport = tamperedTransport(namespaceBytes: [(Self.formatCount, format.count), (Self.formattedSize, format.flbas)])
        #expect {
            _ = try NVMeHost(transport: transport, options: Self.options)
        } throws: { error in
            guard case HostError.unusableController(let why) = error else { return false }
            return why.contains("FLBAS")
        }
    }

    @Test("CC.MPS is set to CAP.MPSMIN, and MDTS counts pages of that size")
    func usesMinimumPageSize() throws {
        let configurations = Box<[UInt64]>([])
        let transport = tamperedTransport(controllerBytes: [(Self.maximumDataTransferSize, 2)], pageSizes: 0x21, configurations: configurations)
        let host = try NVMeHost(transport: transport, options: Self.options)
        #expect(configurations.value.map { $0 >> 7 & 0xF } == [1])
        #expect(host.maximumTransferBytes == 8192 << 2)
        let (written, read, statuses) = try writeAndReadBack(host, byteCount: 256 << 10, seed: 5)
        #expect(statuses.allSatisfy(\.isSuccess) && written == read)
    }

    @Test("a CAP whose MPSMIN exceeds MPSMAX is refused, naming MPSMIN")
    func refusesNoPageSize() {
        let transport = tamperedTransport(pageSizes: 0x12)
        #expect {
            _ = try NVMeHost(transport: transport, options: Self.options)
        } throws: { error in
            guard case HostError.unusableController(let why) = error else { return false }
            return why.contains("MPSMIN")
        }
    }
}

/// A value a test's closures share.
final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}
