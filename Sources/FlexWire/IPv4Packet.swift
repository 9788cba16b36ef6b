/// A checked view of an IPv4 packet (RFC 791).
///
/// Contract: `init(checking:length:)` throws `.truncated(.ipv4)` for fewer than 20 bytes,
/// `.badVersion` unless the version is 4, `.badHeaderLength(.ipv4)` for IHL < 5, and
/// `.badLength(.ipv4)` when the total length is below the header length or beyond the buffer.
/// The total length wins over the buffer: `length` excludes trailing bytes such as Ethernet padding.
/// The checksum is not verified here (`isHeaderChecksumValid`). After the check no accessor can trap or
/// reach outside `length` bytes; the layout (`headerLength`, `length`) is fixed when checked and setters
/// only write bytes. Setters do not touch the checksum, except `updateECN`; call `fillHeaderChecksum`.
public struct IPv4Packet<Pointer: RawBytePointer>: WireView {
    public let base: Pointer
    /// The packet's length: its total-length field when checked.
    public let length: Int
    /// The header's length in bytes, options included (20...60).
    public let headerLength: Int

    @inlinable
    public init(checking base: Pointer, length bufferLength: Int) throws(WireError) {
        guard bufferLength >= IPv4Repr.headerLength else { throw .truncated(.ipv4) }
        let bytes = base.readOnly
        let versionAndLength = bytes.byte(at: IPv4Repr.Offset.versionAndHeaderLength)
        guard versionAndLength >> 4 == 4 else { throw .badVersion(versionAndLength >> 4) }
        let headerLength = Int(versionAndLength & 0x0f) &* 4
        guard headerLength >= IPv4Repr.headerLength else { throw .badHeaderLength(.ipv4) }
        let totalLength = Int(bytes.bigEndianUInt16(at: IPv4Repr.Offset.totalLength))
        guard totalLength >= headerLength, totalLength <= bufferLength else { throw .badLength(.ipv4) }
        self.base = base
        self.length = totalLength
        self.headerLength = headerLength
    }

    @inlinable public var version: UInt8 { base.readOnly.byte(at: IPv4Repr.Offset.versionAndHeaderLength) >> 4 }
    /// The DSCP: the upper six bits of the traffic-class byte.
    @inlinable public var differentiatedServices: UInt8 { base.readOnly.byte(at: IPv4Repr.Offset.trafficClass) >> 2 }
    @inlinable public var ecn: ECNCodepoint { ECNCodepoint(lowBitsOf: base.readOnly.byte(at: IPv4Repr.Offset.trafficClass)) }
    @inlinable public var totalLength: UInt16 { base.readOnly.bigEndianUInt16(at: IPv4Repr.Offset.totalLength) }
    @inlinable public var identification: UInt16 { base.readOnly.bigEndianUInt16(at: IPv4Repr.Offset.identification) }
    @inlinable public var dontFragment: Bool { base.readOnly.byte(at: IPv4Repr.Offset.flagsAndFragmentOffset) & 0x40 != 0 }
    @inlinable public var moreFragments: Bool { base.readOnly.byte(at: IPv4Repr.Offset.flagsAndFragmentOffset) & 0x20 != 0 }
    /// The fragment offset in bytes (the field counts 8-byte units).
    @inlinable public var fragmentOffset: UInt16 { base.readOnly.bigEndianUInt16(at: IPv4Repr.Offset.flagsAndFragmentOffset) << 3 }
    /// True for any fragment of a larger datagram (more fragments follow, or a non-zero offset).
    /// FlexWire does not reassemble.
    @inlinable public var isFragment: Bool { base.readOnly.bigEndianUInt16(at: IPv4Repr.Offset.flagsAndFragmentOffset) & 0x3fff != 0 }
    @inlinable public var timeToLive: UInt8 { base.readOnly.byte(at: IPv4Repr.Offset.timeToLive) }
    @inlinable public var protocolNumber: IPProtocol { IPProtocol(rawValue: base.readOnly.byte(at: IPv4Repr.Offset.protocolNumber)) }
    @inlinable public var headerChecksum: UInt16 { base.readOnly.bigEndianUInt16(at: IPv4Repr.Offset.headerChecksum) }
    @inlinable public var source: IPv4Address { IPv4Address(loadingFrom: base.readOnly + IPv4Repr.Offset.source) }
    @inlinable public var destination: IPv4Address { IPv4Address(loadingFrom: base.readOnly + IPv4Repr.Offset.destination) }

    @inlinable public var hasOptions: Bool { headerLength > IPv4Repr.headerLength }
    /// The raw option bytes (empty without options). FlexWire does not interpret IPv4 options.
    @inlinable public var options: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.readOnly + IPv4Repr.headerLength, count: headerLength &- IPv4Repr.headerLength)
    }

    /// True when the header (options included) sums to zero with its stored checksum.
    @inlinable public var isHeaderChecksumValid: Bool {
        InternetChecksum.checksum(base.readOnly, count: headerLength) == 0
    }

    @inlinable public var payloadBase: Pointer { base.advanced(by: headerLength) }
    @inlinable public var payloadLength: Int { length &- headerLength }
}

extension IPv4Packet where Pointer == UnsafeMutableRawPointer {
    @inlinable public func setDifferentiatedServices(_ dscp: UInt8) {
        let offset = IPv4Repr.Offset.trafficClass
        base.storeByte(dscp << 2 | base.readOnly.byte(at: offset) & 0b11, at: offset)
    }
    /// Writes the ECN bits only; the checksum goes stale (see `updateECN`).
    @inlinable public func setECN(_ ecn: ECNCodepoint) {
        let offset = IPv4Repr.Offset.trafficClass
        base.storeByte(base.readOnly.byte(at: offset) & 0xfc | ecn.rawValue, at: offset)
    }
    @inlinable public func setTotalLength(_ length: UInt16) { base.storeBigEndian(length, at: IPv4Repr.Offset.totalLength) }
    @inlinable public func setIdentification(_ identification: UInt16) {
        base.storeBigEndian(identification, at: IPv4Repr.Offset.identification)
    }
    /// Writes the flags and the fragment offset (in bytes, a multiple of 8) together.
    @inlinable public func setFragmentation(dontFragment: Bool, moreFragments: Bool, offset: UInt16) {
        base.storeBigEndian(IPv4Repr.flagsAndOffset(dontFragment: dontFragment, moreFragments: moreFragments, offset: offset),
                            at: IPv4Repr.Offset.flagsAndFragmentOffset)
    }
    @inlinable public func setTimeToLive(_ ttl: UInt8) { base.storeByte(ttl, at: IPv4Repr.Offset.timeToLive) }
    @inlinable public func setProtocolNumber(_ number: IPProtocol) { base.storeByte(number.rawValue, at: IPv4Repr.Offset.protocolNumber) }
    @inlinable public func setHeaderChecksum(_ checksum: UInt16) { base.storeBigEndian(checksum, at: IPv4Repr.Offset.headerChecksum) }
    @inlinable public func setSource(_ address: IPv4Address) { address.store(to: base + IPv4Repr.Offset.source) }
    @inlinable public func setDestination(_ address: IPv4Address) { address.store(to: base + IPv4Repr.Offset.destination) }

    /// Computes the header checksum over the header (options included) and stores it.
    @inlinable public func fillHeaderChecksum() {
        setHeaderChecksum(0)
        setHeaderChecksum(InternetChecksum.checksum(base.readOnly, count: headerLength))
    }

    /// Changes the ECN bits and adjusts the stored checksum incrementally (RFC 1624, eqn. 3), so a
    /// header that was valid stays valid. For a link emulator CE-marking packets in flight.
    @inlinable public func updateECN(_ ecn: ECNCodepoint) {
        let oldWord = base.readOnly.bigEndianUInt16(at: IPv4Repr.Offset.versionAndHeaderLength)
        setECN(ecn)
        let newWord = base.readOnly.bigEndianUInt16(at: IPv4Repr.Offset.versionAndHeaderLength)
        setHeaderChecksum(InternetChecksum.updated(headerChecksum, oldValue: oldWord, newValue: newWord))
    }
}
