/// A checked view of an ARP packet for IPv4 over Ethernet (RFC 826).
///
/// Contract: `init(checking:length:)` throws `.truncated(.arp)` for fewer than 28 bytes and
/// `.unsupportedARPFormat` unless hardware type is 1, protocol type 0x0800 and the address lengths
/// are 6 and 4; afterwards every accessor reads at a fixed offset inside the 28 bytes. Bytes after
/// the 28 (Ethernet padding) are ignored.
public struct ARPPacket<Pointer: RawBytePointer> {
    public let base: Pointer

    @inlinable
    public init(checking base: Pointer, length: Int) throws(WireError) {
        guard length >= ARPRepr.packetLength else { throw .truncated(.arp) }
        let bytes = base.readOnly
        guard bytes.bigEndianUInt16(at: 0) == ARPRepr.ethernetHardwareType,
              bytes.bigEndianUInt16(at: 2) == EtherType.ipv4.rawValue,
              bytes.byte(at: 4) == 6, bytes.byte(at: 5) == 4
        else { throw .unsupportedARPFormat }
        self.base = base
    }

    /// The raw operation field (1 request, 2 reply; others are not ARP operations FlexWire handles).
    @inlinable public var operation: UInt16 { base.readOnly.bigEndianUInt16(at: 6) }
    @inlinable public var senderHardwareAddress: MACAddress { MACAddress(loadingFrom: base.readOnly + 8) }
    @inlinable public var senderProtocolAddress: IPv4Address { IPv4Address(loadingFrom: base.readOnly + 14) }
    @inlinable public var targetHardwareAddress: MACAddress { MACAddress(loadingFrom: base.readOnly + 18) }
    @inlinable public var targetProtocolAddress: IPv4Address { IPv4Address(loadingFrom: base.readOnly + 24) }
}

extension ARPPacket where Pointer == UnsafeMutableRawPointer {
    @inlinable public func setOperation(_ operation: UInt16) { base.storeBigEndian(operation, at: 6) }
    @inlinable public func setSenderHardwareAddress(_ address: MACAddress) { address.store(to: base + 8) }
    @inlinable public func setSenderProtocolAddress(_ address: IPv4Address) { address.store(to: base + 14) }
    @inlinable public func setTargetHardwareAddress(_ address: MACAddress) { address.store(to: base + 18) }
    @inlinable public func setTargetProtocolAddress(_ address: IPv4Address) { address.store(to: base + 24) }
}
