/// An ICMPv4 message header as a value: echo request and reply are decoded, every other message is
/// kept as type, code and the raw rest of header. The payload (echo data, quoted datagram) travels
/// separately.
///
/// Contract: `init(parsing:verifyChecksum:)` throws `.badChecksum(.icmp)` for a bad checksum when asked
/// to verify; an echo with a non-zero code is kept as `.other`. `emit(into:payload:)` writes the 8-byte
/// header and the payload with a valid checksum and returns the byte count.
public enum ICMPv4Repr: Hashable, Sendable {
    case echoRequest(identifier: UInt16, sequenceNumber: UInt16)
    case echoReply(identifier: UInt16, sequenceNumber: UInt16)
    case other(type: UInt8, code: UInt8, restOfHeader: UInt32)

    @inlinable public static var headerLength: Int { 8 }
    @inlinable static var echoReplyType: UInt8 { 0 }
    @inlinable static var echoRequestType: UInt8 { 8 }

    @inlinable
    public init<P>(parsing packet: ICMPv4Packet<P>, verifyChecksum: Bool = true) throws(WireError) {
        if verifyChecksum, !packet.isChecksumValid { throw .badChecksum(.icmp) }
        switch (packet.messageType, packet.code) {
        case (Self.echoRequestType, 0):
            self = .echoRequest(identifier: packet.identifier, sequenceNumber: packet.sequenceNumber)
        case (Self.echoReplyType, 0):
            self = .echoReply(identifier: packet.identifier, sequenceNumber: packet.sequenceNumber)
        default:
            self = .other(type: packet.messageType, code: packet.code, restOfHeader: packet.restOfHeader)
        }
    }

    @inlinable
    public func emit(into buffer: UnsafeMutableRawBufferPointer, payload: UnsafeRawBufferPointer) throws(WireError) -> Int {
        let length = Self.headerLength &+ payload.count
        let base = try buffer.start(requiring: length)
        (base + Self.headerLength).copyPayload(payload)
        let (type, code, rest): (UInt8, UInt8, UInt32)
        switch self {
        case let .echoRequest(identifier, sequenceNumber):
            (type, code, rest) = (Self.echoRequestType, 0, UInt32(identifier) << 16 | UInt32(sequenceNumber))
        case let .echoReply(identifier, sequenceNumber):
            (type, code, rest) = (Self.echoReplyType, 0, UInt32(identifier) << 16 | UInt32(sequenceNumber))
        case let .other(otherType, otherCode, otherRest):
            (type, code, rest) = (otherType, otherCode, otherRest)
        }
        let packet = try ICMPv4Packet(checking: base, length: length)
        packet.setMessageType(type)
        packet.setCode(code)
        packet.setRestOfHeader(rest)
        packet.fillChecksum()
        return length
    }
}
