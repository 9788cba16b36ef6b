import FlexWire

/// One TCP/IPv4/Ethernet frame described field by field, for a hostile or scripted peer: any flag
/// combination, raw option bytes (malformed ones included), and checksums that can be broken on purpose.
///
/// Contract: `frame()` lays out Ethernet (14 bytes), an IPv4 header (20 bytes plus `ipOptionBytes`,
/// DF set, correct header checksum) and a TCP header whose data offset covers `optionBytes` padded with
/// zeros (end of options) to a multiple of 4 and capped at 40 bytes, then `payload`. The TCP checksum
/// is correct unless `checksumError` is non-zero, in which case that value is XORed into it.
public struct CraftedSegment: Sendable {
    public var sourceMAC: MACAddress
    public var destinationMAC: MACAddress
    public var source: IPv4Address
    public var destination: IPv4Address
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgment: UInt32
    /// The flag byte as sent (`TCPFlags.rawValue`), any combination.
    public var flags: UInt8
    public var window: UInt16
    public var urgentPointer: UInt16 = 0
    public var optionBytes: [UInt8] = []
    public var payload: [UInt8] = []
    public var timeToLive: UInt8 = 64
    public var identification: UInt16 = 0
    /// IPv4 options, as raw bytes (padded to a multiple of 4 with End of Options, at most 40).
    public var ipOptionBytes: [UInt8] = []
    public var checksumError: UInt16 = 0

    public init(sourceMAC: MACAddress, destinationMAC: MACAddress, source: IPv4Address, destination: IPv4Address,
                sourcePort: UInt16, destinationPort: UInt16, sequence: UInt32, acknowledgment: UInt32 = 0,
                flags: TCPFlags, window: UInt16 = 65535) {
        self.sourceMAC = sourceMAC
        self.destinationMAC = destinationMAC
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags.rawValue
        self.window = window
    }

    /// The frame's bytes (see the type's contract).
    public func frame() -> [UInt8] {
        let segment = tcpSegment()
        return ethernetHeader + ipHeader(payloadLength: segment.count, fragmentField: Self.dontFragment) + segment
    }

    /// The frame as IPv4 fragments: the TCP segment split after each multiple of 8 bytes in
    /// `offsets` (ascending, inside the segment); every fragment but the last has More Fragments set.
    public func fragments(splittingAt offsets: [Int]) -> [[UInt8]] {
        let segment = tcpSegment()
        let bounds = [0] + offsets + [segment.count]
        return (0..<bounds.count - 1).map { index in
            let piece = Array(segment[bounds[index]..<bounds[index + 1]])
            let moreFragments: UInt16 = index < bounds.count - 2 ? 0x2000 : 0
            return ethernetHeader + ipHeader(payloadLength: piece.count, fragmentField: moreFragments | UInt16(bounds[index] / 8)) + piece
        }
    }

    private static let dontFragment: UInt16 = 0x4000

    private var ethernetHeader: [UInt8] { destinationMAC.bytes + sourceMAC.bytes + [0x08, 0x00] }

    /// The IPv4 header with `ipOptionBytes` (padded to a multiple of 4, at most 40) and a correct checksum.
    private func ipHeader(payloadLength: Int, fragmentField: UInt16) -> [UInt8] {
        var options = Array(ipOptionBytes.prefix(40))
        while options.count % 4 != 0 { options.append(0) }
        let headerLength = IPv4Repr.headerLength + options.count
        var header: [UInt8] = [0x40 | UInt8(headerLength / 4), 0x00]
        header += Self.big(UInt16(headerLength + payloadLength))
        header += Self.big(identification)
        header += Self.big(fragmentField)
        header += [timeToLive, IPProtocol.tcp.rawValue, 0, 0]
        header += Self.big(source.value)
        header += Self.big(destination.value)
        header += options
        let checksum = header.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: headerLength) }
        let checksumOffset = IPv4Repr.Offset.headerChecksum
        header.replaceSubrange(checksumOffset..<checksumOffset + 2, with: Self.big(checksum))
        return header
    }

    /// The TCP header (options padded with zeros to a multiple of 4, at most 40) and payload.
    private func tcpSegment() -> [UInt8] {
        var options = Array(optionBytes.prefix(TCPOptions.maximumLength))
        while options.count % 4 != 0 { options.append(0) }
        var bytes: [UInt8] = []
        for field in [sourcePort, destinationPort] { bytes += Self.big(field) }
        for field in [sequence, acknowledgment] { bytes += Self.big(field) }
        bytes += [UInt8((TCPSegmentRepr.fixedHeaderLength + options.count) / 4) << 4, flags]
        for field in [window, 0, urgentPointer] { bytes += Self.big(field) }
        bytes += options
        bytes += payload
        let pseudo = InternetChecksum.pseudoHeaderSum(source: source, destination: destination,
                                                      protocolNumber: IPProtocol.tcp.rawValue, length: bytes.count)
        let checksum = bytes.withUnsafeBytes {
            InternetChecksum.finish(InternetChecksum.partialSum($0.baseAddress!, count: $0.count, initial: pseudo))
        }
        bytes.replaceSubrange(16..<18, with: Self.big(checksum ^ checksumError))
        return bytes
    }

    private static func big(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    private static func big(_ value: UInt32) -> [UInt8] { RawTCPOption.bigEndianBytes(value) }
}

/// Raw TCP option encodings (RFC 9293, RFC 7323, RFC 2018), for building `CraftedSegment.optionBytes`.
public enum RawTCPOption {
    public static func maximumSegmentSize(_ value: UInt16) -> [UInt8] { [2, 4, UInt8(value >> 8), UInt8(value & 0xff)] }
    public static func windowScale(_ shift: UInt8) -> [UInt8] { [1, 3, 3, shift] }
    public static let sackPermitted: [UInt8] = [1, 1, 4, 2]
    /// NOP, NOP, then kind 8 length 10 with TSval and TSecr (the layout RFC 7323 Appendix A suggests).
    public static func timestamps(value: UInt32, echo: UInt32) -> [UInt8] {
        let fields: [UInt32] = [value, echo]
        return [1, 1, 8, 10] + fields.flatMap(bigEndianBytes)
    }

    static func bigEndianBytes(_ word: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8),
         UInt8(truncatingIfNeeded: word)]
    }
}
