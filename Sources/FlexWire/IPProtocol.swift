/// The IPv4 protocol field: which transport the payload carries.
///
/// Contract: any value is representable; the named constants are the protocols FlexWire parses.
public struct IPProtocol: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable public static var icmp: IPProtocol { IPProtocol(rawValue: 1) }
    @inlinable public static var tcp: IPProtocol { IPProtocol(rawValue: 6) }
    @inlinable public static var udp: IPProtocol { IPProtocol(rawValue: 17) }
}

/// The two ECN bits of the IPv4 traffic-class byte (RFC 3168).
public enum ECNCodepoint: UInt8, Sendable, CaseIterable {
    /// Not ECN-capable transport.
    case notECT = 0b00
    case ect1 = 0b01
    case ect0 = 0b10
    /// Congestion experienced.
    case ce = 0b11
}

extension ECNCodepoint {
    /// The codepoint in the two low bits of `trafficClass` (the other bits are ignored).
    @inlinable
    public init(lowBitsOf trafficClass: UInt8) {
        switch trafficClass & 0b11 {
        case 0b00: self = .notECT
        case 0b01: self = .ect1
        case 0b10: self = .ect0
        default: self = .ce
        }
    }
}
