/// The eight TCP control bits of header byte 13 (RFC 9293, RFC 3168 for ECE and CWR).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 1 << 0) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 1 << 1) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 1 << 2) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 1 << 3) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 1 << 4) }
    @inlinable public static var urg: TCPFlags { TCPFlags(rawValue: 1 << 5) }
    @inlinable public static var ece: TCPFlags { TCPFlags(rawValue: 1 << 6) }
    @inlinable public static var cwr: TCPFlags { TCPFlags(rawValue: 1 << 7) }
}
