/// A 48-bit Ethernet MAC address, stored in network byte order.
///
/// Contract: a plain value; `description` prints the usual `aa:bb:cc:dd:ee:ff` form and
/// `init?(_ text:)` parses exactly that form (case-insensitive), returning nil on anything else.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var octets: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        octets = (a, b, c, d, e, f)
    }

    /// Reads six bytes at `pointer` (no alignment requirement).
    @inlinable
    public init(loadingFrom pointer: UnsafeRawPointer) {
        octets = (pointer.load(fromByteOffset: 0, as: UInt8.self), pointer.load(fromByteOffset: 1, as: UInt8.self),
                  pointer.load(fromByteOffset: 2, as: UInt8.self), pointer.load(fromByteOffset: 3, as: UInt8.self),
                  pointer.load(fromByteOffset: 4, as: UInt8.self), pointer.load(fromByteOffset: 5, as: UInt8.self))
    }

    /// Writes the six bytes at `pointer` (no alignment requirement).
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: octets.0, toByteOffset: 0, as: UInt8.self)
        pointer.storeBytes(of: octets.1, toByteOffset: 1, as: UInt8.self)
        pointer.storeBytes(of: octets.2, toByteOffset: 2, as: UInt8.self)
        pointer.storeBytes(of: octets.3, toByteOffset: 3, as: UInt8.self)
        pointer.storeBytes(of: octets.4, toByteOffset: 4, as: UInt8.self)
        pointer.storeBytes(of: octets.5, toByteOffset: 5, as: UInt8.self)
    }

    public static let broadcast = MACAddress(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
    public static let zero = MACAddress(0, 0, 0, 0, 0, 0)

    public var bytes: [UInt8] { [octets.0, octets.1, octets.2, octets.3, octets.4, octets.5] }
    public var isBroadcast: Bool { self == .broadcast }
    /// True for group (multicast or broadcast) addresses: the I/G bit of the first octet.
    public var isMulticast: Bool { octets.0 & 1 == 1 }

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var values: [UInt8] = []
        for part in parts {
            guard part.count == 2, part.allSatisfy(\.isHexDigit), let value = UInt8(part, radix: 16) else { return nil }
            values.append(value)
        }
        self.init(values[0], values[1], values[2], values[3], values[4], values[5])
    }

    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    public static func == (lhs: MACAddress, rhs: MACAddress) -> Bool {
        lhs.octets.0 == rhs.octets.0 && lhs.octets.1 == rhs.octets.1 && lhs.octets.2 == rhs.octets.2
            && lhs.octets.3 == rhs.octets.3 && lhs.octets.4 == rhs.octets.4 && lhs.octets.5 == rhs.octets.5
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(octets.0); hasher.combine(octets.1); hasher.combine(octets.2)
        hasher.combine(octets.3); hasher.combine(octets.4); hasher.combine(octets.5)
    }
}

/// An IPv4 address held as a host-order `UInt32` (198.18.0.1 is 0xC612_0001).
///
/// Contract: a plain value; `init?(_ text:)` accepts only dotted-quad text with four decimal
/// parts 0...255 and returns nil otherwise.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt32

    @inlinable public init(_ value: UInt32) { self.value = value }

    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Reads four network-order bytes at `pointer` (no alignment requirement).
    @inlinable
    public init(loadingFrom pointer: UnsafeRawPointer) {
        value = UInt32(bigEndian: pointer.loadUnaligned(as: UInt32.self))
    }

    /// Writes the address in network order at `pointer` (no alignment requirement).
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: value.bigEndian, as: UInt32.self)
    }

    public static let any = IPv4Address(0)
    public static let broadcast = IPv4Address(0xffff_ffff)

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isWholeNumber }),
                  let octet = UInt8(part) else { return nil }
            result = result << 8 | UInt32(octet)
        }
        value = result
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    /// True when `other` lies in the same subnet of `prefixLength` bits.
    @inlinable
    public func isInSameSubnet(as other: IPv4Address, prefixLength: Int) -> Bool {
        let mask: UInt32 = prefixLength <= 0 ? 0 : (prefixLength >= 32 ? ~0 : ~0 << UInt32(32 - prefixLength))
        return value & mask == other.value & mask
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}
