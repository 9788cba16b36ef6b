import FlexWire

/// Appends complete PDUs to an `OutboundBuffer`: common header, PDU-specific header, header digest,
/// padding up to PDO, data and data digest, as negotiated for the connection.
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

    /// Appends a PDU with `dataLength` bytes of data that `fill` writes in place (called once, if
    /// `dataLength > 0`, with exactly that many bytes).
    public func append(_ header: PDUHeader, flags: UInt8 = 0, dataLength: Int, to buffer: OutboundBuffer,
                       fill: (UnsafeMutableRawBufferPointer) -> Void) {
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
        let totalLength = (dataLength > 0 ? dataOffset : headerLength + headerDigestLength) + dataLength + dataDigestLength
        // Header, header digest and padding zeroed; `fill` writes the data, the data digest is stored below.
        let pdu = buffer.append(totalLength, zeroed: dataLength > 0 ? dataOffset : totalLength)
        var pduFlags = flags
        if headerDigestLength > 0 { pduFlags |= PDUFlags.headerDigest }
        if dataDigestLength > 0 { pduFlags |= PDUFlags.dataDigest }
        CommonHeader(rawType: type.rawValue, flags: pduFlags, headerLength: UInt8(headerLength),
                     dataOffset: digestsApply ? UInt8(dataOffset) : 0, totalLength: UInt32(totalLength)).store(into: pdu)
        header.store(into: pdu)
        if headerDigestLength > 0 {
            pdu.storeLittle(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: pdu[0..<headerLength])), at: headerLength)
        }
        guard dataLength > 0 else { return }
        let data = UnsafeMutableRawBufferPointer(rebasing: pdu[dataOffset..<(dataOffset + dataLength)])
        fill(data)
        if dataDigestLength > 0 { pdu.storeLittle(CRC32C.checksum(UnsafeRawBufferPointer(data)), at: dataOffset + dataLength) }
    }

    /// Appends a PDU carrying `data` (possibly none).
    public func append(_ header: PDUHeader, flags: UInt8 = 0, data: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
                       to buffer: OutboundBuffer) {
        append(header, flags: flags, dataLength: data.count, to: buffer) { $0.copyMemory(from: data) }
    }
}
