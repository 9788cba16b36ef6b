/// A checked view of an ICMPv4 message (RFC 792).
///
/// Contract: `init(checking:length:)` throws `.truncated(.icmp)` for fewer than 8 bytes (type, code,
/// checksum and the 4-byte rest of header); the message spans all `length` bytes (the IPv4 payload).
/// No accessor can trap. The checksum is not verified here (`isChecksumValid`).
public struct ICMPv4Packet<Pointer: RawBytePointer>: WireView {
    public let base: Pointer
    public let length: Int

    @inlinable
    public init(checking base: Pointer, length: Int) throws(WireError) {
        guard length >= ICMPv4Repr.headerLength else { throw .truncated(.icmp) }
        self.base = base
        self.length = length
    }

    @inlinable public var messageType: UInt8 { base.readOnly.byte(at: 0) }
    @inlinable public var code: UInt8 { base.readOnly.byte(at: 1) }
    @inlinable public var checksum: UInt16 { base.readOnly.bigEndianUInt16(at: 2) }
    /// Bytes 4–7, whose meaning depends on the type.
    @inlinable public var restOfHeader: UInt32 { base.readOnly.bigEndianUInt32(at: 4) }
    /// Bytes 4–5: the identifier of an echo request or reply.
    @inlinable public var identifier: UInt16 { base.readOnly.bigEndianUInt16(at: 4) }
    /// Bytes 6–7: the sequence number of an echo request or reply.
    @inlinable public var sequenceNumber: UInt16 { base.readOnly.bigEndianUInt16(at: 6) }

    /// True when the whole message sums to zero with its stored checksum.
    @inlinable public var isChecksumValid: Bool { InternetChecksum.checksum(base.readOnly, count: length) == 0 }

    /// The bytes after the 8-byte header: echo data, or e.g. the quoted datagram of an error.
    @inlinable public var payloadBase: Pointer { base.advanced(by: ICMPv4Repr.headerLength) }
    @inlinable public var payloadLength: Int { length &- ICMPv4Repr.headerLength }
}

extension ICMPv4Packet where Pointer == UnsafeMutableRawPointer {
    @inlinable public func setMessageType(_ type: UInt8) { base.storeByte(type, at: 0) }
    @inlinable public func setCode(_ code: UInt8) { base.storeByte(code, at: 1) }
    @inlinable public func setChecksum(_ checksum: UInt16) { base.storeBigEndian(checksum, at: 2) }
    @inlinable public func setRestOfHeader(_ rest: UInt32) { base.storeBigEndian(rest, at: 4) }

    /// Computes the checksum over the whole message and stores it.
    @inlinable public func fillChecksum() {
        setChecksum(0)
        setChecksum(InternetChecksum.checksum(base.readOnly, count: length))
    }
}
