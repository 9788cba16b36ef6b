import FlexPort
import Testing

@Suite("PcapReader")
struct PcapReaderTests {
    /// A classic pcap file from header words and records, in either byte order.
    private func capture(magic: UInt32, linkType: UInt32 = 1, bigEndian: Bool, records: [(UInt32, UInt32, [UInt8])]) -> [UInt8] {
        func word(_ value: UInt32) -> [UInt8] {
            let bytes = [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)]
            return bigEndian ? bytes.reversed() : bytes
        }
        func half(_ value: UInt16) -> [UInt8] { bigEndian ? [UInt8(value >> 8), UInt8(value & 0xff)] : [UInt8(value & 0xff), UInt8(value >> 8)] }
        var file = word(magic) + half(2) + half(4) + word(0) + word(0) + word(65_535) + word(linkType)
        for (seconds, fraction, bytes) in records { file += word(seconds) + word(fraction) + word(UInt32(bytes.count)) + word(UInt32(bytes.count)) + bytes }
        return file
    }

    @Test("reads big-endian microsecond and little-endian nanosecond captures alike")
    func readsBothByteOrders() throws {
        let frame: [UInt8] = Array(0..<60)
        var bigMicro = try PcapReader(bytes: capture(magic: 0xa1b2_c3d4, bigEndian: true, records: [(3, 250, frame)]))
        #expect(bigMicro.bigEndian && !bigMicro.nanosecondResolution)
        #expect(try bigMicro.readAll() == [PcapRecord(timestampNanoseconds: 3_000_250_000, originalLength: 60, bytes: frame)])
        var littleNano = try PcapReader(bytes: capture(magic: 0xa1b2_3c4d, bigEndian: false, records: [(3, 250, frame), (4, 0, [1])]))
        #expect(!littleNano.bigEndian && littleNano.nanosecondResolution)
        #expect(try littleNano.readAll().map(\.timestampNanoseconds) == [3_000_000_250, 4_000_000_000])
    }

    @Test("refuses other link types, foreign files and truncated records with a typed error")
    func rejectsBadFiles() throws {
        #expect(throws: PcapReaderError.unsupportedLinkType(113)) {
            try PcapReader(bytes: capture(magic: 0xa1b2_c3d4, linkType: 113, bigEndian: false, records: []))
        }
        #expect(throws: PcapReaderError.notPcap) { try PcapReader(bytes: Array(repeating: 7, count: 40)) }
        var truncated = try PcapReader(bytes: Array(capture(magic: 0xa1b2_c3d4, bigEndian: false, records: [(1, 0, [1, 2, 3]), (2, 0, [4, 5, 6])]).dropLast()))
        #expect(try truncated.next()?.bytes == [1, 2, 3])
        #expect(throws: PcapReaderError.truncatedRecord(1)) { try truncated.next() }
    }
}
