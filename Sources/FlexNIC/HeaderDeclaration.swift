/// One named field of a header: where its bits sit and how to read them.
///
/// Contract: the field is `bitCount` bits taken from the `byteWidth` (1…8) bytes at `byteOffset` from
/// the header's start, read as an unsigned integer in `byteOrder` and shifted right by `bitShift`.
/// Writing a field changes only those bits.
public struct FieldDeclaration: Sendable, Equatable {
    /// The byte order of a field's bytes on the wire.
    public enum ByteOrder: Sendable, Equatable { case bigEndian, littleEndian }

    public var name: String
    public var byteOffset: Int
    public var byteWidth: Int
    public var bitShift: Int
    public var bitCount: Int
    public var byteOrder: ByteOrder

    /// A whole-bytes field (`bytes` long) or, with `bits`, a bit field inside them.
    public init(_ name: String, at byteOffset: Int, bytes byteWidth: Int, shift bitShift: Int = 0, bits: Int? = nil,
                byteOrder: ByteOrder = .bigEndian) {
        self.name = name
        self.byteOffset = byteOffset
        self.byteWidth = byteWidth
        self.bitShift = bitShift
        self.bitCount = bits ?? byteWidth * 8
        self.byteOrder = byteOrder
    }
}

/// How long a header is: fixed, or given by one of its own fields times a unit, within bounds.
public enum HeaderLength: Sendable, Equatable {
    case fixed(Int)
    /// `field × unitBytes` bytes; a value outside `minimum…maximum` is a parse error.
    case variable(field: String, unitBytes: Int, minimum: Int, maximum: Int)

    /// The fewest bytes the header can have.
    public var minimum: Int {
        switch self {
        case .fixed(let length): length
        case .variable(_, _, let minimum, _): minimum
        }
    }
}

/// An edge of the parse graph: when `field` of this header equals `value`, the next header is `next`.
public struct HeaderTransition: Sendable, Equatable {
    public var field: String
    public var value: UInt64
    public var next: String

    public init(when field: String, is value: UInt64, then next: String) {
        self.field = field
        self.value = value
        self.next = next
    }
}

/// A header of the parse graph: its name, length, fields and outgoing edges (the first matching
/// transition wins; none matching ends parsing).
public struct HeaderDeclaration: Sendable, Equatable {
    public var name: String
    public var length: HeaderLength
    public var fields: [FieldDeclaration]
    public var transitions: [HeaderTransition]

    public init(_ name: String, length: HeaderLength, fields: [FieldDeclaration], transitions: [HeaderTransition] = []) {
        self.name = name
        self.length = length
        self.fields = fields
        self.transitions = transitions
    }
}

/// The parser's program: headers reachable from `start` through transitions.
///
/// Every field is named `header.field`; each header also offers the read-only fields `header.$valid`
/// (1 when parsed), `header.$offset` and `header.$length` (bytes), also named without the `$` unless
/// the header declares a field of that name (e.g. `udp.length` is the UDP length field, `udp.$length`
/// the header's 8 bytes); and the packet `packet.length`.
public struct ParseGraph: Sendable, Equatable {
    public var start: String
    public var headers: [HeaderDeclaration]

    public init(start: String, headers: [HeaderDeclaration]) {
        self.start = start
        self.headers = headers
    }

    /// The header named `name`, if the graph has one.
    public func header(named name: String) -> HeaderDeclaration? { headers.first { $0.name == name } }
}
