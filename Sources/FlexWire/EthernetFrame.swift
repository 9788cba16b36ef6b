/// A checked view of an Ethernet II frame header, with an optional IEEE 802.1Q tag.
///
/// Contract: `init(checking:length:)` throws `.truncated(.ethernet)` unless the `length` bytes at `base`
/// hold the whole header (14 bytes, 18 when the outer EtherType is 802.1Q); afterwards no accessor can
/// trap or reach outside those bytes. The header layout (`headerLength`) is fixed when checked;
/// setters only write bytes. The frame check sequence is not part of the bytes.
public struct EthernetFrame<Pointer: RawBytePointer>: WireView {
    public let base: Pointer
    /// Bytes in the frame, header included.
    public let length: Int
    /// 14, or 18 for an 802.1Q-tagged frame.
    public let headerLength: Int

    @inlinable
    public init(checking base: Pointer, length: Int) throws(WireError) {
        guard length >= EthernetRepr.untaggedHeaderLength else { throw .truncated(.ethernet) }
        if base.readOnly.bigEndianUInt16(at: EthernetRepr.Offset.etherType) == EtherType.vlan.rawValue {
            guard length >= EthernetRepr.taggedHeaderLength else { throw .truncated(.ethernet) }
            headerLength = EthernetRepr.taggedHeaderLength
        } else {
            headerLength = EthernetRepr.untaggedHeaderLength
        }
        self.base = base
        self.length = length
    }

    @inlinable public var destination: MACAddress { MACAddress(loadingFrom: base.readOnly + EthernetRepr.Offset.destination) }
    @inlinable public var source: MACAddress { MACAddress(loadingFrom: base.readOnly + EthernetRepr.Offset.source) }
    @inlinable public var isTagged: Bool { headerLength == EthernetRepr.taggedHeaderLength }

    /// The type of the payload: the inner EtherType when the frame is tagged.
    @inlinable
    public var etherType: EtherType {
        EtherType(rawValue: base.readOnly.bigEndianUInt16(at: EthernetRepr.Offset.payloadEtherType(headerLength: headerLength)))
    }

    /// The 802.1Q tag, or nil for an untagged frame.
    @inlinable
    public var vlanTag: VLANTag? {
        isTagged ? VLANTag(tagControl: base.readOnly.bigEndianUInt16(at: EthernetRepr.Offset.vlanTagControl)) : nil
    }

    @inlinable public var payloadBase: Pointer { base.advanced(by: headerLength) }
    @inlinable public var payloadLength: Int { length &- headerLength }
}

extension EthernetFrame where Pointer == UnsafeMutableRawPointer {
    @inlinable public func setDestination(_ address: MACAddress) { address.store(to: base + EthernetRepr.Offset.destination) }
    @inlinable public func setSource(_ address: MACAddress) { address.store(to: base + EthernetRepr.Offset.source) }
    /// Writes the payload's EtherType (the inner one when the frame is tagged).
    @inlinable public func setEtherType(_ type: EtherType) {
        base.storeBigEndian(type.rawValue, at: EthernetRepr.Offset.payloadEtherType(headerLength: headerLength))
    }
}
