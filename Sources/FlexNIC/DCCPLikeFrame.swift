import FlexWire

/// Emits frames carrying the DCCP-like header of `StandardParseGraph` (RFC 4340's generic header with
/// 48-bit sequence numbers and the acknowledgement subheader, 24 bytes, IPv4 protocol 33), checksum
/// over the IPv4 pseudo-header, header and payload as in RFC 4340 §9 with full coverage.
public struct DCCPLikeFrame: Sendable {
    public var sourceMAC: MACAddress
    public var destinationMAC: MACAddress
    public var source: IPv4Address
    public var destination: IPv4Address
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The packet type (`StandardParseGraph.dccpData`, `.dccpAck`).
    public var type: UInt8
    public var sequence: UInt64
    public var acknowledgment: UInt64
    public var identification: UInt16
    public static let headerLength = 24

    public init(sourceMAC: MACAddress, destinationMAC: MACAddress, source: IPv4Address, destination: IPv4Address,
                sourcePort: UInt16, destinationPort: UInt16, type: UInt8, sequence: UInt64, acknowledgment: UInt64 = 0,
                identification: UInt16 = 0) {
        self.sourceMAC = sourceMAC
        self.destinationMAC = destinationMAC
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.type = type
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.identification = identification
    }

    /// The whole frame: Ethernet and IPv4 (FlexWire's emitters), the DCCP-like header, `payload`.
    public func frame(payload: [UInt8] = []) throws(WireError) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: Self.headerLength)
        Self.storeBigEndian(UInt64(sourcePort), bytes: 2, into: &header, at: 0)
        Self.storeBigEndian(UInt64(destinationPort), bytes: 2, into: &header, at: 2)
        header[4] = UInt8(Self.headerLength / 4)
        header[8] = (type & 0xf) << 1 | 1
        Self.storeBigEndian(sequence, bytes: 6, into: &header, at: 10)
        Self.storeBigEndian(acknowledgment, bytes: 6, into: &header, at: 18)
        let segment = header + payload
        let protocolNumber = IPProtocol(rawValue: UInt8(StandardParseGraph.dccpProtocol))
        let checksum = segment.withUnsafeBytes {
            InternetChecksum.transportChecksum($0.baseAddress!, length: segment.count, source: source, destination: destination,
                                               protocolNumber: protocolNumber)
        }
        Self.storeBigEndian(UInt64(checksum), bytes: 2, into: &header, at: 6)
        let ip = IPv4Repr(source: source, destination: destination, protocolNumber: protocolNumber,
                          payloadLength: segment.count, identification: identification)
        let ethernet = EthernetRepr(destination: destinationMAC, source: sourceMAC, etherType: .ipv4)
        var frame = [UInt8](repeating: 0, count: ethernet.headerLength + IPv4Repr.headerLength)
        var failure: WireError?
        frame.withUnsafeMutableBytes { buffer in
            do throws(WireError) {
                let ethernetLength = try ethernet.emit(into: buffer)
                _ = try ip.emit(into: UnsafeMutableRawBufferPointer(rebasing: buffer[ethernetLength...]))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return frame + header + payload
    }

    private static func storeBigEndian(_ value: UInt64, bytes: Int, into buffer: inout [UInt8], at offset: Int) {
        for index in 0..<bytes { buffer[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(8 * (bytes - 1 - index))) }
    }
}
