import FlexNVMe
import FlexWire
import Testing

/// Records what a reader delivers; data lands in buffers of its own.
private final class Recorder: PDUHandler {
    var headers: [PDUHeader] = []
    var data: [[UInt8]] = []
    var intact: [Bool] = []
    var verifiedFirst = false
    private var buffer: UnsafeMutableRawBufferPointer?

    func receivedHeader(_ header: PDUHeader, flags: UInt8, dataLength: Int) throws(Termination) -> DataPlacement {
        headers.append(header)
        guard dataLength > 0 else { return .discard }
        buffer = .allocate(byteCount: dataLength, alignment: 8)
        buffer!.initializeMemory(as: UInt8.self, repeating: 0)
        return verifiedFirst ? .verifiedFirst(buffer!) : .streamed(buffer!)
    }

    func receivedPDU(_ header: PDUHeader, flags: UInt8, dataIntact: Bool) throws(Termination) {
        data.append(buffer.map { Array($0) } ?? [])
        buffer?.deallocate()
        buffer = nil
        intact.append(dataIntact)
    }
}

@Suite("NVMe/TCP PDU codec")
struct CodecTests {
    private static let hostPDUs: [(PDUHeader, [UInt8])] = {
        var command = Command.blocks(IOOpcode.write, lba: 77, blocks: 2)
        command.commandID = 9
        return [
            (.capsuleCmd(command), [UInt8](repeating: 0xAB, count: 8192)),
            (.capsuleCmd(Command.admin(AdminOpcode.keepAlive)), []),
            (.h2cData(DataTransferHeader(commandID: 9, transferTag: 3, offset: 4096, length: 1000)), (0..<1000).map { UInt8($0 & 0xFF) }),
        ]
    }()

    /// Encodes the host PDUs with `digests` and alignment, feeds them split at `cut` into (a wrapping ring's) two pieces,
    /// one byte at a time when `cut` is nil.
    private func roundTrip(digests: Bool, alignment: UInt8, cut: Int?, verifiedFirst: Bool = false) -> Recorder {
        var writer = PDUWriter()
        writer.headerDigest = digests
        writer.dataDigest = digests
        writer.dataAlignment = alignment
        let buffer = OutboundBuffer()
        for (header, data) in Self.hostPDUs { data.withUnsafeBytes { writer.append(header, data: $0, to: buffer) } }
        let bytes = Array(buffer.pending)
        let reader = PDUReader(readsHostPDUs: true, bufferCapacity: 1 << 20)
        reader.establish(headerDigest: digests, dataDigest: digests)
        reader.requiredAlignment = alignment
        let recorder = Recorder()
        recorder.verifiedFirst = verifiedFirst
        bytes.withUnsafeBytes { raw in
            if let cut {
                var input = InputBytes(UnsafeRawBufferPointer(rebasing: raw[..<cut]), UnsafeRawBufferPointer(rebasing: raw[cut...]))
                #expect(reader.deliver(&input, to: recorder) == nil)
                #expect(input.consumed == raw.count)
            } else {
                // One byte arrives at a time; like a transport, keep what the reader did not consume and lend it again.
                var kept: [UInt8] = []
                for byte in raw {
                    kept.append(byte)
                    let consumed = kept.withUnsafeBytes { bytes in
                        var input = InputBytes(bytes)
                        #expect(reader.deliver(&input, to: recorder) == nil)
                        return input.consumed
                    }
                    kept.removeFirst(consumed)
                }
                #expect(kept.isEmpty)
            }
        }
        return recorder
    }

    @Test("every host PDU decodes to what was encoded, with and without digests, aligned or not, in any split",
          arguments: [false, true], [0, 7, 100, 5000, 9000])
    func roundTrips(digests: Bool, cut: Int) {
        for alignment: UInt8 in [0, 7] {
            let recorder = roundTrip(digests: digests, alignment: alignment, cut: cut)
            #expect(recorder.headers == Self.hostPDUs.map(\.0))
            #expect(recorder.data == Self.hostPDUs.map(\.1))
            #expect(recorder.intact == [true, true, true])
        }
    }

    @Test("byte by byte, verified-first placement gives the same data")
    func byteByByte() {
        let recorder = roundTrip(digests: true, alignment: 0, cut: nil, verifiedFirst: true)
        #expect(recorder.data == Self.hostPDUs.map(\.1))
    }

    @Test("a data digest mismatch is reported, verified-first data is not placed, and the stream goes on")
    func dataDigestMismatch() {
        var writer = PDUWriter()
        writer.headerDigest = true
        writer.dataDigest = true
        let buffer = OutboundBuffer()
        let data = [UInt8](repeating: 0x11, count: 4096)
        for _ in 0..<2 {
            data.withUnsafeBytes { writer.append(.h2cData(DataTransferHeader(commandID: 1, transferTag: 1, offset: 0, length: 4096)), data: $0, to: buffer) }
        }
        var bytes = Array(buffer.pending)
        bytes[100] ^= 0x80
        let reader = PDUReader(readsHostPDUs: true, bufferCapacity: 1 << 20)
        reader.establish(headerDigest: true, dataDigest: true)
        let recorder = Recorder()
        recorder.verifiedFirst = true
        bytes.withUnsafeBytes { raw in
            var input = InputBytes(raw)
            #expect(reader.deliver(&input, to: recorder) == nil)
        }
        #expect(recorder.intact == [false, true])
        #expect(recorder.data[0].allSatisfy { $0 == 0 })
        #expect(recorder.data[1] == data)
    }

    @Test("offload hook: data a NIC marked digest-verified and placed is neither checked nor copied")
    func offloadMarks() {
        var writer = PDUWriter()
        writer.dataDigest = true
        let buffer = OutboundBuffer()
        [UInt8](repeating: 0x22, count: 4096).withUnsafeBytes {
            writer.append(.h2cData(DataTransferHeader(commandID: 1, transferTag: 1, offset: 0, length: 4096)), data: $0, to: buffer)
        }
        var bytes = Array(buffer.pending)
        bytes[bytes.count - 1] ^= 0xFF  // the digest itself is wrong: only an offload that verified it may pass it
        let reader = PDUReader(readsHostPDUs: true, bufferCapacity: 1 << 20)
        reader.establish(headerDigest: false, dataDigest: true)
        let recorder = Recorder()
        bytes.withUnsafeBytes { raw in
            var header = InputBytes(UnsafeRawBufferPointer(rebasing: raw[..<24]))
            #expect(reader.deliver(&header, to: recorder) == nil)
            reader.markCurrentPDU(digestVerified: true, dataPlaced: true)
            var rest = InputBytes(UnsafeRawBufferPointer(rebasing: raw[24...]))
            #expect(reader.deliver(&rest, to: recorder) == nil)
        }
        #expect(recorder.intact == [true])
        #expect(recorder.data[0].allSatisfy { $0 == 0 })  // "already placed": the reader copied nothing
    }

    @Test("the header digest is CRC32C of the header, little-endian after it")
    func headerDigestLayout() {
        var writer = PDUWriter()
        writer.headerDigest = true
        let buffer = OutboundBuffer()
        writer.append(.capsuleResp(CompletionEntry(commandID: 5, status: .success)), to: buffer)
        let bytes = Array(buffer.pending)
        #expect(bytes.count == 28)
        #expect(bytes[1] == PDUFlags.headerDigest)
        let digest = UInt32(bytes[24]) | UInt32(bytes[25]) << 8 | UInt32(bytes[26]) << 16 | UInt32(bytes[27]) << 24
        #expect(digest == CRC32C.checksum(bytes[..<24]))
    }
}
