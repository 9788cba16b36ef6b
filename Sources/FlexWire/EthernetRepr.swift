/// The fields of an Ethernet II header as a value.
///
/// Contract: `init(parsing:)` never fails on a checked view; `emit(into:)` writes exactly
/// `headerLength` bytes (with the 802.1Q tag when `vlanTag` is set) and returns that count.
public struct EthernetRepr: Hashable, Sendable {
    public var destination: MACAddress
    public var source: MACAddress
    /// The payload's type (inside the tag when tagged).
    public var etherType: EtherType
    public var vlanTag: VLANTag?

    @inlinable public static var untaggedHeaderLength: Int { 14 }
    @inlinable public static var taggedHeaderLength: Int { 18 }

    @inlinable
    public init(destination: MACAddress, source: MACAddress, etherType: EtherType, vlanTag: VLANTag? = nil) {
        self.destination = destination
        self.source = source
        self.etherType = etherType
        self.vlanTag = vlanTag
    }

    @inlinable
    public init<P>(parsing frame: EthernetFrame<P>) {
        self.init(destination: frame.destination, source: frame.source, etherType: frame.etherType, vlanTag: frame.vlanTag)
    }

    @inlinable
    public var headerLength: Int {
        vlanTag == nil ? Self.untaggedHeaderLength : Self.taggedHeaderLength
    }

    @inlinable
    public func emit(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let length = headerLength
        let base = try buffer.start(requiring: length)
        destination.store(to: base + Offset.destination)
        source.store(to: base + Offset.source)
        if let vlanTag {
            base.storeBigEndian(EtherType.vlan.rawValue, at: Offset.etherType)
            base.storeBigEndian(vlanTag.tagControl, at: Offset.vlanTagControl)
        }
        base.storeBigEndian(etherType.rawValue, at: Offset.payloadEtherType(headerLength: length))
        return length
    }
}
