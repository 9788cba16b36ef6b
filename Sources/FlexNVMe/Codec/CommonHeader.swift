/// The 8-byte common header every NVMe/TCP PDU begins with: PDU-Type, FLAGS, HLEN, PDO, PLEN
/// (little-endian). A plain value; `PDUReader` checks it against the connection's state.
public struct CommonHeader: Equatable, Sendable {
    /// Bytes of a common header.
    public static let size = 8
    public var rawType: UInt8
    public var flags: UInt8
    public var headerLength: UInt8
    public var dataOffset: UInt8
    public var totalLength: UInt32

    public init(rawType: UInt8, flags: UInt8, headerLength: UInt8, dataOffset: UInt8, totalLength: UInt32) {
        self.rawType = rawType
        self.flags = flags
        self.headerLength = headerLength
        self.dataOffset = dataOffset
        self.totalLength = totalLength
    }

    /// The header at the start of `bytes` (at least `size` bytes).
    init(_ bytes: UnsafeRawBufferPointer) {
        rawType = bytes[0]
        flags = bytes[1]
        headerLength = bytes[2]
        dataOffset = bytes[3]
        totalLength = bytes.loadLittle(at: 4)
    }

    /// Writes the header at the start of `bytes` (at least `size` bytes).
    func store(into bytes: UnsafeMutableRawBufferPointer) {
        bytes[0] = rawType
        bytes[1] = flags
        bytes[2] = headerLength
        bytes[3] = dataOffset
        bytes.storeLittle(totalLength, at: 4)
    }

    public var type: PDUType? { PDUType(rawValue: rawType) }
    public var hasHeaderDigest: Bool { flags & PDUFlags.headerDigest != 0 }
    public var hasDataDigest: Bool { flags & PDUFlags.dataDigest != 0 }
}
