import FlexNVMe
import Testing

/// A host connected over the memory transport to a target with a 1 MiB RAM namespace of 256 blocks of 4 KiB
/// (MDTS 256 KiB: a 1 MiB request goes as four commands; in-capsule data up to 8 KiB).
private struct SmallNamespaceRig {
    let namespace = MemoryNamespace(byteCount: 1 << 20)
    let target: NVMeTarget
    let transport: MemoryHostTransport
    let host: NVMeHost

    init(queueDepth: Int = 32, ioQueues: Int = 1, timeoutMilliseconds: Int = 2_000) throws {
        target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420), namespace: namespace)
        transport = MemoryHostTransport(target: target)
        var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
        options.queueDepth = queueDepth
        options.ioQueues = ioQueues
        options.timeoutMilliseconds = timeoutMilliseconds
        host = try NVMeHost(transport: transport, options: options)
    }

    /// Terminations counted by every target connection.
    var terminations: Int {
        transport.pairs.reduce(0) { sum, pair in ProtocolViolation.allCases.reduce(sum) { $0 + pair.connection.counters[$1] } }
    }

    /// Runs one request of `byteCount` seeded bytes (a write) or into a buffer (a read) at `lba`; its status.
    func run(_ kind: BlockIO.Kind, lba: UInt64, byteCount: Int) throws -> NVMeStatus {
        var bytes = seededBytes(byteCount, seed: 31)
        return try bytes.withUnsafeMutableBytes { try host.run([BlockIO(kind, lba: lba, buffer: $0)]) }[0]
    }
}

@Suite("NVMe/TCP requests past the namespace's end")
struct OutOfRangeTests {
    @Test("a 1 MiB write from LBA 8 of a 1 MiB namespace (four commands at MDTS) fails with LBA Out of Range, and the connection then serves a write and read back")
    func writePastEndThenRoundTrip() throws {
        let outcome = try withinDeadline(seconds: 10) { () throws -> (NVMeStatus, NVMeStatus, (written: String, read: String, statuses: [NVMeStatus]), Int) in
            let rig = try SmallNamespaceRig()
            let write = try rig.run(.write, lba: 8, byteCount: 1 << 20)
            let read = try rig.run(.read, lba: 8, byteCount: 1 << 20)
            let roundTrip = try writeAndReadBack(rig.host, byteCount: 256 * 1024, seed: 32, start: 8 * 4096)
            return (write, read, roundTrip, rig.terminations)
        }
        guard let (write, read, roundTrip, terminations) = outcome else { return }
        #expect(write == .lbaOutOfRange)
        #expect(read == .lbaOutOfRange)
        #expect(roundTrip.statuses.allSatisfy { $0.isSuccess })
        #expect(roundTrip.written == roundTrip.read)
        #expect(terminations == 0)
    }

    /// (first LBA, bytes): past the end in capsule, by R2T and split at MDTS; straddling the end the same three
    /// ways; and a range that runs past LBA 2^64 - 1 (cannot be encoded; the host answers it).
    static let ranges: [(UInt64, Int)] = [
        (256, 4096), (256, 65536), (300, 1 << 20),
        (255, 8192), (250, 65536), (200, 512 * 1024),
        (UInt64.max - 2, 1 << 20),
    ]

    @Test("a write or read past the end fails promptly with LBA Out of Range, in capsule, by R2T and split at MDTS; nothing past the end is read or written; the connection stays usable",
          arguments: [BlockIO.Kind.write, .read], ranges)
    func pastTheEnd(kind: BlockIO.Kind, range: (UInt64, Int)) throws {
        let outcome = try withinDeadline(seconds: 10) { () throws -> (NVMeStatus, Bool, [NVMeStatus], Int) in
            let rig = try SmallNamespaceRig()
            let status = try rig.run(kind, lba: range.0, byteCount: range.1)
            // Nothing is stored, not even the pieces at MDTS before the end of a request split there.
            let untouched = rig.namespace.mappedBytes(0..<(1 << 20))!.allSatisfy { $0 == 0 }
            let after = [try rig.run(.write, lba: 0, byteCount: 65536), try rig.run(.read, lba: 0, byteCount: 65536)]
            return (status, untouched, after, rig.terminations)
        }
        guard let (status, untouched, after, terminations) = outcome else { return }
        #expect(status == .lbaOutOfRange)
        #expect(untouched)
        #expect(after == [.success, .success])
        #expect(terminations == 0)
    }

    @Test("a write straddling the end whose first pieces at MDTS lie inside is refused whole: none of it is sent or stored")
    func straddlingWriteStoresNothing() throws {
        let outcome = try withinDeadline(seconds: 10) { () throws -> (NVMeStatus, Bool, Int) in
            let rig = try SmallNamespaceRig()
            try #require(rig.host.maximumTransferBytes == 256 * 1024)
            // LBAs 128..<384 of 256: two 256 KiB pieces inside, two past the end.
            let status = try rig.run(.write, lba: 128, byteCount: 1 << 20)
            return (status, rig.namespace.mappedBytes(0..<(1 << 20))!.allSatisfy { $0 == 0 }, rig.target.writesCompleted)
        }
        guard let (status, untouched, writes) = outcome else { return }
        #expect(status == .lbaOutOfRange)
        #expect(untouched)
        #expect(writes == 0)
    }

    @Test("the target itself answers a command past the end with LBA Out of Range (in capsule and by R2T), storing nothing",
          arguments: [4096, 65536])
    func targetRefusesPastEnd(byteCount: Int) throws {
        let outcome = try withinDeadline(seconds: 10) { () throws -> (NVMeStatus, Bool, Int) in
            let rig = try SmallNamespaceRig()
            let data = seededBytes(byteCount, seed: 34)
            let entry = try data.withUnsafeBytes { bytes in
                // One block past the last of the 256 (a single block at 256; 16 blocks from 241).
                try rig.host.execute(Command.blocks(IOOpcode.write, lba: UInt64(257 - byteCount / 4096), blocks: byteCount / 4096),
                                     on: rig.host.ioQueues[0], writeData: bytes)
            }
            return (entry.status, rig.namespace.mappedBytes(0..<(1 << 20))!.allSatisfy { $0 == 0 }, rig.terminations)
        }
        guard let (status, untouched, terminations) = outcome else { return }
        #expect(status == .lbaOutOfRange)
        #expect(untouched)
        #expect(terminations == 0)
    }

    @Test("at queue depth 4 on two queues, writes and then reads past the end mixed with valid ones: each gets its own status, the valid data reads back")
    func mixedWithValidAtDepth() throws {
        // (kind, LBA, bytes) and whether it is in range.
        let plan: [(BlockIO.Kind, UInt64, Int, Bool)] = [
            (.write, 0, 4096, true), (.write, 256, 4096, false), (.write, 16, 65536, true), (.write, 250, 65536, false),
            (.write, 40, 8192, true), (.write, 200, 1 << 20, false), (.write, 64, 512 * 1024, true), (.write, 1000, 131072, false),
            (.read, 0, 4096, true), (.read, 256, 65536, false), (.read, 16, 65536, true), (.read, 255, 8192, false),
            (.read, 40, 8192, true), (.read, 8, 1 << 20, false), (.read, 64, 512 * 1024, true), (.read, UInt64.max, 4096, false),
        ]
        let outcome = try withinDeadline(seconds: 10) { () throws -> ([NVMeStatus], Bool, Int) in
            let rig = try SmallNamespaceRig(queueDepth: 4, ioQueues: 2)
            let buffers = plan.enumerated().map { index, request in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: request.2, alignment: 4096)
                buffer.copyBytes(from: request.0 == .write ? seededBytes(request.2, seed: UInt64(40 + index)) : [UInt8](repeating: 0xEE, count: request.2))
                return buffer
            }
            defer { buffers.forEach { $0.deallocate() } }
            let requests = zip(plan, buffers).map { BlockIO($0.0.0, lba: $0.0.1, buffer: $0.1) }
            let statuses = try rig.host.run(Array(requests[..<8])) + rig.host.run(Array(requests[8...]))
            // Each valid read (index 8 + i) returns what the valid write of the same range (index i) stored.
            let readBack = (0..<8).allSatisfy { !plan[$0].3 || Array(buffers[$0 + 8]) == Array(buffers[$0]) }
            return (statuses, readBack, rig.terminations)
        }
        guard let (statuses, readBack, terminations) = outcome else { return }
        #expect(statuses == plan.map { $0.3 ? .success : .lbaOutOfRange })
        #expect(readBack)
        #expect(terminations == 0)
    }

    @Test("run gives up with Timed Out when the controller answers nothing, instead of waiting for ever")
    func silentController() throws {
        let outcome = try withinDeadline(seconds: 10) { () -> (Result<[NVMeStatus], HostError>, Bool) in
            let rig = try SmallNamespaceRig(timeoutMilliseconds: 300)
            // From now on the target hears nothing.
            rig.transport.tamper = { direction, bytes in if direction == .toTarget { bytes = [] } }
            var bytes = seededBytes(65536, seed: 33)
            let result = bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(HostError) in try rig.host.run([BlockIO(.write, lba: 0, buffer: buffer)]) }
            }
            return (result, rig.host.ioQueues.allSatisfy { $0.isFinished && $0.outstanding == 0 })
        }
        guard let (result, queuesClosed) = outcome else { return }
        #expect(throws: HostError.timedOut) { try result.get() }
        #expect(queuesClosed)
    }

    @Test("a write whose R2T was answered but whose data never reached the target times out within the limit")
    func silentWithDataPending() throws {
        let outcome = try withinDeadline(seconds: 10) { () -> (Result<[NVMeStatus], HostError>, Double, Int) in
            let rig = try SmallNamespaceRig(timeoutMilliseconds: 300)
            let r2ts = Box(0)
            // The H2CData is lost on the way: the target keeps its transfer open, waiting, and says nothing more.
            rig.transport.tamper = { direction, bytes in
                let pdus = pduRanges(bytes)
                if direction == .toHost { r2ts.value += pdus.filter { $0.type == PDUType.r2t.rawValue }.count; return }
                bytes = pdus.filter { $0.type != PDUType.h2cData.rawValue }.flatMap { bytes[$0.range] }
            }
            var bytes = seededBytes(65536, seed: 34)
            let clock = ContinuousClock()
            let start = clock.now
            let result = bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(HostError) in try rig.host.run([BlockIO(.write, lba: 0, buffer: buffer)]) }
            }
            let elapsed = clock.now - start
            return (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, r2ts.value)
        }
        guard let (result, seconds, r2ts) = outcome else { return }
        #expect(r2ts == 1)
        #expect(throws: HostError.timedOut) { try result.get() }
        #expect(seconds >= 0.3 && seconds < 3)
    }
}
