/// A checked view of a UDP datagram (RFC 768).
///
/// Contract: `init(checking:length:)` throws `.truncated(.udp)` for fewer than 8 bytes and
/// `.badLength(.udp)` when the length field is below 8 or beyond the buffer; `length` is the length
/// field (trailing bytes are ignored). No accessor can trap. A stored checksum of 0 means "none".
public struct UDPDatagram<Pointer: RawBytePointer>: WireView {
    public let base: Pointer
    /// The datagram's length: its length field when checked.
    public let length: Int

    @inlinable
    public init(checking base: Pointer, length bufferLength: Int) throws(WireError) {
        guard bufferLength >= UDPRepr.headerLength else { throw .truncated(.udp) }
        let length = Int(base.readOnly.bigEndianUInt16(at: 4))
        guard length >= UDPRepr.headerLength, length <= bufferLength else { throw .badLength(.udp) }
        self.base = base
        self.length = length
    }

    @inlinable public var sourcePort: UInt16 { base.readOnly.bigEndianUInt16(at: 0) }
    @inlinable public var destinationPort: UInt16 { base.readOnly.bigEndianUInt16(at: 2) }
    @inlinable public var lengthField: UInt16 { base.readOnly.bigEndianUInt16(at: 4) }
    @inlinable public var checksum: UInt16 { base.readOnly.bigEndianUInt16(at: 6) }

    /// True when the checksum is absent (0) or correct over the pseudo-header and the datagram.
    @inlinable
    public func isChecksumValid(source: IPv4Address, destination: IPv4Address) -> Bool {
        checksum == 0 || InternetChecksum.transportChecksum(base.readOnly, length: length, source: source,
                                                            destination: destination, protocolNumber: .udp) == 0
    }

    @inlinable public var payloadBase: Pointer { base.advanced(by: UDPRepr.headerLength) }
    @inlinable public var payloadLength: Int { length &- UDPRepr.headerLength }
}

extension UDPDatagram where Pointer == UnsafeMutableRawPointer {
    @inlinable public func setSourcePort(_ port: UInt16) { base.storeBigEndian(port, at: 0) }
    @inlinable public func setDestinationPort(_ port: UInt16) { base.storeBigEndian(port, at: 2) }
    @inlinable public func setLengthField(_ length: UInt16) { base.storeBigEndian(length, at: 4) }
    @inlinable public func setChecksum(_ checksum: UInt16) { base.storeBigEndian(checksum, at: 6) }

    /// Computes the checksum over the pseudo-header and the datagram and stores it; a computed 0 is
    /// stored as 0xFFFF, since 0 means "no checksum".
    @inlinable
    public func fillChecksum(source: IPv4Address, destination: IPv4Address) {
        setChecksum(0)
        let sum = InternetChecksum.transportChecksum(base.readOnly, length: length, source: source,
                                                     destination: destination, protocolNumber: .udp)
        setChecksum(sum == 0 ? 0xffff : sum)
    }
}
