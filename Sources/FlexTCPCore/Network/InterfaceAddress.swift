import FlexWire

/// An IPv4 address with the prefix length of its subnet, as assigned to an interface ("198.18.0.1/24").
///
/// Contract: a plain value. Both initializers throw `NetworkConfigurationError` unless the prefix
/// length is 1...32 and the address is a unicast host address of its subnet: not unspecified,
/// loopback, multicast or 255.255.255.255, and (for prefixes up to /30) neither the subnet's
/// network address nor its broadcast address. /31 (RFC 3021) and /32 have no broadcast address.
package struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    package let address: IPv4Address
    package let prefixLength: Int

    package init(address: IPv4Address, prefixLength: Int) throws(NetworkConfigurationError) {
        guard (1...32).contains(prefixLength) else {
            throw .malformedInterfaceAddress("\(address)/\(prefixLength)")
        }
        self.address = address
        self.prefixLength = prefixLength
        let isSubnetEdge = prefixLength <= 30 && (address == networkAddress || address == directedBroadcast)
        guard !address.isUnspecified, !address.isLoopback, !address.isMulticast, !address.isLimitedBroadcast,
              !isSubnetEdge else {
            throw .unusableInterfaceAddress(address, prefixLength: prefixLength)
        }
    }

    /// Parses `A.B.C.D/P`.
    package init(_ text: String) throws(NetworkConfigurationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
              parts[1].allSatisfy({ $0.isASCII && $0.isWholeNumber }), parts[1].count <= 2,
              let prefixLength = Int(parts[1]) else {
            throw .malformedInterfaceAddress(text)
        }
        try self.init(address: address, prefixLength: prefixLength)
    }

    /// The subnet mask as a host-order value (a /24 gives 0xFFFF_FF00).
    package var subnetMask: UInt32 { UInt32.max << UInt32(32 - prefixLength) }

    /// The subnet's first address (host bits zero).
    package var networkAddress: IPv4Address { IPv4Address(address.value & subnetMask) }

    /// The subnet's broadcast address (host bits one); nil for /31 and /32, which have none.
    package var directedBroadcast: IPv4Address? {
        prefixLength <= 30 ? IPv4Address(address.value | ~subnetMask) : nil
    }

    /// True when `other` lies inside this subnet.
    package func contains(_ other: IPv4Address) -> Bool {
        address.isInSameSubnet(as: other, prefixLength: prefixLength)
    }

    /// True for 255.255.255.255 and this subnet's broadcast address.
    package func isBroadcast(_ other: IPv4Address) -> Bool {
        other.isLimitedBroadcast || other == directedBroadcast
    }

    /// True when `other` could be a single host on the network: not unspecified, loopback,
    /// multicast or a broadcast address of this subnet.
    package func isUnicast(_ other: IPv4Address) -> Bool {
        !other.isUnspecified && !other.isLoopback && !other.isMulticast && !isBroadcast(other)
    }

    package var description: String { "\(address)/\(prefixLength)" }
}
