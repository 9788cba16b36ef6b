/// An Ethernet II EtherType (the 16-bit type field).
///
/// Contract: any value is representable; the named constants are the types FlexWire recognises.
public struct EtherType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var ipv4: EtherType { EtherType(rawValue: 0x0800) }
    @inlinable public static var arp: EtherType { EtherType(rawValue: 0x0806) }
    /// An IEEE 802.1Q tag follows (the tag protocol identifier).
    @inlinable public static var vlan: EtherType { EtherType(rawValue: 0x8100) }
    /// Recognised as a type only; FlexWire does not parse IPv6.
    @inlinable public static var ipv6: EtherType { EtherType(rawValue: 0x86DD) }
}

/// An IEEE 802.1Q tag: priority code point, drop-eligible indicator and VLAN identifier.
///
/// Contract: `init(tagControl:)` accepts any 16-bit TCI; `tagControl` re-packs the three fields
/// (priority and identifier are masked to 3 and 12 bits).
public struct VLANTag: Hashable, Sendable {
    public var priority: UInt8
    public var dropEligible: Bool
    public var identifier: UInt16

    @inlinable
    public init(identifier: UInt16, priority: UInt8 = 0, dropEligible: Bool = false) {
        self.identifier = identifier
        self.priority = priority
        self.dropEligible = dropEligible
    }

    /// Unpacks the tag control information field.
    @inlinable
    public init(tagControl: UInt16) {
        self.init(identifier: tagControl & 0x0fff, priority: UInt8(truncatingIfNeeded: tagControl >> 13),
                  dropEligible: tagControl & 0x1000 != 0)
    }

    /// The packed tag control information field.
    @inlinable
    public var tagControl: UInt16 {
        UInt16(priority & 0x7) << 13 | (dropEligible ? 0x1000 : 0) | identifier & 0x0fff
    }
}
