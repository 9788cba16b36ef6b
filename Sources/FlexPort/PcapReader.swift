#if canImport(Glibc)
import Glibc
#endif

/// Why a pcap file could not be read.
public enum PcapReaderError: Error, Equatable {
    /// `open(2)` or `read(2)` failed with this errno.
    case readFailed(Int32)
    /// The file does not start with a classic pcap magic number.
    case notPcap
    /// The capture's link type is not Ethernet (LINKTYPE_ETHERNET, 1).
    case unsupportedLinkType(UInt32)
    /// Record `index` (0-based) runs past the end of the file.
    case truncatedRecord(Int)
}

/// One captured frame.
public struct PcapRecord: Equatable, Sendable {
    /// Nanoseconds since the Unix epoch.
    public var timestampNanoseconds: UInt64
    /// The frame's length on the wire (`bytes` may be shorter when the capture truncated it).
    public var originalLength: Int
    public var bytes: [UInt8]

    public init(timestampNanoseconds: UInt64, originalLength: Int, bytes: [UInt8]) {
        self.timestampNanoseconds = timestampNanoseconds
        self.originalLength = originalLength
        self.bytes = bytes
    }
}

/// Reads classic pcap files (the format `PcapWriter`, tcpdump and Wireshark write): microsecond or
/// nanosecond magic, either byte order, Ethernet link type only.
///
/// Contract: the whole file is read at `init` (for tools and tests, not hot paths); `next()` returns
/// records in file order and nil at the end; a malformed record throws and ends reading.
public struct PcapReader {
    public let nanosecondResolution: Bool
    /// Whether the file's header and record words are big-endian (written on a big-endian machine).
    public let bigEndian: Bool
    public let snapshotLength: Int
    private let data: [UInt8]
    private var position = 24
    private var index = 0

    /// Reads the file at `path`.
    public init(path: String) throws(PcapReaderError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .readFailed(errno) }
        defer { close(descriptor) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .readFailed(errno) }
            if count == 0 { break }
            data += chunk[0..<count]
        }
        try self.init(bytes: data)
    }

    /// Reads a capture held in memory.
    public init(bytes: [UInt8]) throws(PcapReaderError) {
        guard bytes.count >= 24 else { throw .notPcap }
        data = bytes
        switch Self.word(bytes, at: 0, bigEndian: false) {
        case 0xa1b2_c3d4: (nanosecondResolution, bigEndian) = (false, false)
        case 0xd4c3_b2a1: (nanosecondResolution, bigEndian) = (false, true)
        case 0xa1b2_3c4d: (nanosecondResolution, bigEndian) = (true, false)
        case 0x4d3c_b2a1: (nanosecondResolution, bigEndian) = (true, true)
        default: throw .notPcap
        }
        snapshotLength = Int(Self.word(bytes, at: 16, bigEndian: bigEndian))
        // The top 4 bits may carry FCS information (pcap-linktype(7)); the link type is below them.
        let linkType = Self.word(bytes, at: 20, bigEndian: bigEndian) & 0x0fff_ffff
        guard linkType == 1 else { throw .unsupportedLinkType(linkType) }
    }

    /// The 32-bit word at `offset` in the given byte order.
    private static func word(_ bytes: [UInt8], at offset: Int, bigEndian: Bool) -> UInt32 {
        let little = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        return bigEndian ? little.byteSwapped : little
    }

    /// The next record, or nil at the end of the file.
    public mutating func next() throws(PcapReaderError) -> PcapRecord? {
        guard position < data.count else { return nil }
        guard position + 16 <= data.count else { throw .truncatedRecord(index) }
        let seconds = UInt64(Self.word(data, at: position, bigEndian: bigEndian))
        let fraction = UInt64(Self.word(data, at: position + 4, bigEndian: bigEndian))
        let captured = Int(Self.word(data, at: position + 8, bigEndian: bigEndian))
        let original = Int(Self.word(data, at: position + 12, bigEndian: bigEndian))
        guard captured <= data.count - position - 16 else { throw .truncatedRecord(index) }
        let start = position + 16
        position = start + captured
        index += 1
        return PcapRecord(timestampNanoseconds: seconds * 1_000_000_000 + (nanosecondResolution ? fraction : fraction * 1_000),
                          originalLength: original, bytes: Array(data[start..<start + captured]))
    }

    /// Every remaining record.
    public mutating func readAll() throws(PcapReaderError) -> [PcapRecord] {
        var records: [PcapRecord] = []
        while let record = try next() { records.append(record) }
        return records
    }
}
