/// A whole frame parsed layer by layer: Ethernet → (ARP | IPv4 → TCP | UDP | ICMP).
///
/// Contract: `init(parsing:verifyChecksums:)` returns every layer it found or throws the first error;
/// it never traps on any input. Unknown EtherTypes and IP protocols end the walk as `.other`;
/// fragments end it as `.fragment` (their transport header is not parsed, nothing is reassembled).
/// With `verifyChecksums` false (frames whose checksums were offloaded) no checksum is checked.
/// `tcpOptionParsing` says how malformed TCP options are treated (`TCPSegmentRepr(parsing:...)`).
/// `payloadRange` locates, within the parsed bytes, what follows the innermost header: the TCP/UDP/ICMP
/// payload, the IP payload of a fragment or other protocol, or the bytes after ARP or an unknown EtherType.
/// Ethernet padding after an IP packet is outside it. `headers.emit` with that payload rebuilds the frame.
public struct ParsedFrame: Hashable, Sendable {
    public var headers: FrameHeaders
    public var payloadRange: Range<Int>

    public init(parsing frame: UnsafeRawBufferPointer, verifyChecksums: Bool = true,
                tcpOptionParsing: TCPOptionParsing = .strict) throws(WireError) {
        guard let base = frame.baseAddress else { throw .truncated(.ethernet) }
        let ethernetFrame = try EthernetFrame(checking: base, length: frame.count)
        let ethernet = EthernetRepr(parsing: ethernetFrame)
        let networkStart = ethernetFrame.headerLength
        switch ethernetFrame.etherType {
        case .arp:
            let packet = try ARPPacket(checking: ethernetFrame.payloadBase, length: ethernetFrame.payloadLength)
            headers = FrameHeaders(ethernet: ethernet, network: .arp(try ARPRepr(parsing: packet)))
            payloadRange = networkStart + ARPRepr.packetLength ..< frame.count
        case .ipv4:
            let packet = try IPv4Packet(checking: ethernetFrame.payloadBase, length: ethernetFrame.payloadLength)
            let ip = try IPv4Repr(parsing: packet, verifyChecksum: verifyChecksums)
            let transportStart = networkStart + packet.headerLength
            let (transport, payloadStart, payloadLength) = try Self.parseTransport(of: packet, verifyChecksums: verifyChecksums,
                                                                                         tcpOptionParsing: tcpOptionParsing)
            headers = FrameHeaders(ethernet: ethernet, network: .ipv4(ip, transport))
            payloadRange = transportStart + payloadStart ..< transportStart + payloadStart + payloadLength
        default:
            headers = FrameHeaders(ethernet: ethernet, network: .other)
            payloadRange = networkStart ..< frame.count
        }
    }

    /// The transport layer of `packet`, and where its payload lies within the IP payload.
    private static func parseTransport(of packet: IPv4Packet<UnsafeRawPointer>, verifyChecksums: Bool,
                                       tcpOptionParsing: TCPOptionParsing)
        throws(WireError) -> (FrameHeaders.Transport, payloadStart: Int, payloadLength: Int) {
        if packet.isFragment { return (.fragment, 0, packet.payloadLength) }
        let source = packet.source, destination = packet.destination
        switch packet.protocolNumber {
        case .tcp:
            let segment = try TCPSegment(checking: packet.payloadBase, length: packet.payloadLength)
            let repr = try TCPSegmentRepr(parsing: segment, source: source, destination: destination, verifyChecksum: verifyChecksums,
                                              optionParsing: tcpOptionParsing)
            return (.tcp(repr), segment.headerLength, segment.payloadLength)
        case .udp:
            let datagram = try UDPDatagram(checking: packet.payloadBase, length: packet.payloadLength)
            let repr = try UDPRepr(parsing: datagram, source: source, destination: destination, verifyChecksum: verifyChecksums)
            return (.udp(repr), UDPRepr.headerLength, datagram.payloadLength)
        case .icmp:
            let message = try ICMPv4Packet(checking: packet.payloadBase, length: packet.payloadLength)
            return (.icmp(try ICMPv4Repr(parsing: message, verifyChecksum: verifyChecksums)), ICMPv4Repr.headerLength, message.payloadLength)
        default:
            return (.other, 0, packet.payloadLength)
        }
    }
}
