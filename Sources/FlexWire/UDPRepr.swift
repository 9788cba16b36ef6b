/// A UDP header as a value: the ports. Length and checksum are derived when emitting.
///
/// Contract: `init(parsing:source:destination:verifyChecksum:)` throws `.badChecksum(.udp)` for a
/// wrong non-zero checksum when asked to verify. `emit(into:payload:source:destination:)` writes header
/// and payload with a checksum (never 0) and returns the byte count; it throws `.badLength(.udp)` when
/// the datagram would exceed 65535 bytes.
public struct UDPRepr: Hashable, Sendable {
    @inlinable public static var headerLength: Int { 8 }

    public var sourcePort: UInt16
    public var destinationPort: UInt16

    @inlinable
    public init(sourcePort: UInt16, destinationPort: UInt16) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    @inlinable
    public init<P>(parsing datagram: UDPDatagram<P>, source: IPv4Address, destination: IPv4Address,
                   verifyChecksum: Bool = true) throws(WireError) {
        if verifyChecksum, !datagram.isChecksumValid(source: source, destination: destination) {
            throw .badChecksum(.udp)
        }
        self.init(sourcePort: datagram.sourcePort, destinationPort: datagram.destinationPort)
    }

    @inlinable
    public func emit(into buffer: UnsafeMutableRawBufferPointer, payload: UnsafeRawBufferPointer,
                     source: IPv4Address, destination: IPv4Address) throws(WireError) -> Int {
        let length = Self.headerLength &+ payload.count
        guard length <= Int(UInt16.max) else { throw .badLength(.udp) }
        let base = try buffer.start(requiring: length)
        (base + Self.headerLength).copyPayload(payload)
        base.storeBigEndian(UInt16(truncatingIfNeeded: length), at: 4)
        let datagram = try UDPDatagram(checking: base, length: length)
        datagram.setSourcePort(sourcePort)
        datagram.setDestinationPort(destinationPort)
        datagram.fillChecksum(source: source, destination: destination)
        return length
    }
}
