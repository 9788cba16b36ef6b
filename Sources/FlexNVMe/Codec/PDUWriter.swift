import FlexWire

/// Appends complete PDUs to an `OutboundBuffer`: common header, PDU-specific header, header digest,
/// padding up to PDO, data and data digest, as negotiated for the connection. The buffer may hand
/// out a transport's transmit ring (`OutboundBuffer.lend`): the PDU is then written in place there,
/// in two pieces when the ring wraps.
///
/// Contract: `headerDigest`/`dataDigest` apply only to types that use digests; data is aligned to
/// `(dataAlignment + 1) * 4` bytes (the peer's PDA). Termination requests carry their data right
/// after the header (PDO 0).
public struct PDUWriter: Sendable {
    public var headerDigest = false
    public var dataDigest = false
    /// The peer's required data alignment (HPDA for a controller, CPDA for a host), 0's based in dwords.
    public var dataAlignment: UInt8 = 0

    public init() {}

    /// Appends a PDU with `dataLength` bytes of data that `fill` writes in place: called with one or
    /// two pieces (the second when the space wraps), each with its offset into the data, together
    /// exactly `dataLength` bytes (not called if `dataLength` is 0).
    public func append(_ header: PDUHeader, flags: UInt8 = 0, dataLength: Int, to buffer: OutboundBuffer,
                       fill: (UnsafeMutableRawBufferPointer, Int) -> Void) {
        let type = header.type
        let headerLength = type.headerLength
        let digestsApply = type.usesDigests
        let headerDigestLength = digestsApply && headerDigest ? 4 : 0
        let dataDigestLength = digestsApply && dataDigest && dataLength > 0 ? 4 : 0
        var dataOffset = 0
        if dataLength > 0 {
            dataOffset = headerLength + headerDigestLength
            if digestsApply {
                let unit = (Int(dataAlignment) + 1) * 4
                dataOffset = (dataOffset + unit - 1) / unit * unit
            }
        }
        let headerArea = dataLength > 0 ? dataOffset : headerLength + headerDigestLength
        let totalLength = headerArea + dataLength + dataDigestLength
        let pdu = buffer.append(totalLength)
        var pduFlags = flags
        if headerDigestLength > 0 { pduFlags |= PDUFlags.headerDigest }
        if dataDigestLength > 0 { pduFlags |= PDUFlags.dataDigest }
        let common = CommonHeader(rawType: type.rawValue, flags: pduFlags, headerLength: UInt8(headerLength),
                                  dataOffset: digestsApply ? UInt8(dataOffset) : 0, totalLength: UInt32(totalLength))
        // Header, header digest and padding: in place, or staged when the space wraps inside them.
        if pdu.first.count >= headerArea {
            Self.writeHeader(common, header, digest: headerDigestLength > 0, into: UnsafeMutableRawBufferPointer(rebasing: pdu.first[0..<headerArea]))
        } else {
            withUnsafeTemporaryAllocation(byteCount: headerArea, alignment: 8) { staged in
                Self.writeHeader(common, header, digest: headerDigestLength > 0, into: staged)
                pdu.store(UnsafeRawBufferPointer(staged), at: 0)
            }
        }
        guard dataLength > 0 else { return }
        var crc = CRC32C.initialState
        pdu.forEachPiece(headerArea..<(headerArea + dataLength)) { piece, offset in
            fill(piece, offset)
            if dataDigestLength > 0 { crc = CRC32C.update(crc, UnsafeRawBufferPointer(piece)) }
        }
        guard dataDigestLength > 0 else { return }
        withUnsafeBytes(of: CRC32C.finish(crc).littleEndian) { pdu.store($0, at: headerArea + dataLength) }
    }

    /// Zeroes `area` (header, header digest, padding) and stores the headers and the header digest in it.
    private static func writeHeader(_ common: CommonHeader, _ header: PDUHeader, digest: Bool, into area: UnsafeMutableRawBufferPointer) {
        area.initializeMemory(as: UInt8.self, repeating: 0)
        common.store(into: area)
        header.store(into: area)
        guard digest else { return }
        let length = Int(common.headerLength)
        area.storeLittle(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: area[0..<length])), at: length)
    }

    /// Appends a PDU carrying `data` (possibly none).
    public func append(_ header: PDUHeader, flags: UInt8 = 0, data: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
                       to buffer: OutboundBuffer) {
        append(header, flags: flags, dataLength: data.count, to: buffer) { piece, offset in
            piece.copyMemory(from: UnsafeRawBufferPointer(rebasing: data[offset..<(offset + piece.count)]))
        }
    }
}
