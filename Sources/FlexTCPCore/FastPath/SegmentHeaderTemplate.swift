import FlexWire

/// The first 40 bytes of every segment of one flow — Ethernet header, IPv4 header with traffic
/// class, total length and checksum 0, TCP ports, then two zero bytes — and the checksum sums over
/// those fixed parts: the FlexTCP NIC's per-flow header template. `SegmentHeaders.write` stores it
/// as five words and finishes both checksums with a few additions instead of summing headers again.
///
/// Contract: a plain value built from a flow's addresses, MACs and ports; a flow whose remote MAC,
/// address or ports change needs a new one (the fast path rebuilds it on `install` and `update`).
@usableFromInline
struct SegmentHeaderTemplate {
    /// Frame bytes 0 ..< 40 as native-order loads (the last two, the sequence number's first half,
    /// are overwritten by every write).
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64, UInt64)
    /// `InternetChecksum.ipv4HeaderTailSum` of the template's IPv4 header.
    @usableFromInline var ipv4TailSum: UInt64
    /// The TCP pseudo-header sum with length 0 (the sum is linear in the length).
    @usableFromInline var pseudoHeaderSum: UInt64

    /// A template that writes nothing useful (for flow slots with no flow installed).
    @usableFromInline
    init() {
        words = (0, 0, 0, 0, 0)
        ipv4TailSum = 0
        pseudoHeaderSum = 0
    }

    /// The template of `flow`'s segments, sent from `localAddress` and `localMAC`.
    @usableFromInline
    init(flow: FlowState, localAddress: IPv4Address, localMAC: MACAddress) {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let tail = withUnsafeMutableBytes(of: &bytes) { buffer in
            let frame = buffer.baseAddress!
            flow.remoteMAC.store(to: frame + EthernetRepr.Offset.destination)
            localMAC.store(to: frame + EthernetRepr.Offset.source)
            frame.storeBytes(of: EtherType.ipv4.rawValue.bigEndian, toByteOffset: EthernetRepr.Offset.etherType, as: UInt16.self)
            // IPv4: version 4, IHL 5; identification 0 and DF; TTL 64 and the protocol.
            let ip = frame + EthernetRepr.untaggedHeaderLength
            ip.storeBytes(of: 0x45, toByteOffset: IPv4Repr.Offset.versionAndHeaderLength, as: UInt8.self)
            ip.storeBytes(of: UInt32(0x0000_4000).bigEndian, toByteOffset: IPv4Repr.Offset.identification, as: UInt32.self)
            ip.storeBytes(of: (UInt16(64) << 8 | UInt16(IPProtocol.tcp.rawValue)).bigEndian,
                          toByteOffset: IPv4Repr.Offset.timeToLive, as: UInt16.self)
            localAddress.store(to: ip + IPv4Repr.Offset.source)
            flow.remoteAddress.store(to: ip + IPv4Repr.Offset.destination)
            let tcp = ip + IPv4Repr.headerLength
            tcp.storeBytes(of: flow.localPort.bigEndian, toByteOffset: TCPSegmentRepr.Offset.sourcePort, as: UInt16.self)
            tcp.storeBytes(of: flow.remotePort.bigEndian, toByteOffset: TCPSegmentRepr.Offset.destinationPort, as: UInt16.self)
            return InternetChecksum.ipv4HeaderTailSum(ip)
        }
        words = bytes
        ipv4TailSum = tail
        pseudoHeaderSum = InternetChecksum.pseudoHeaderSum(source: localAddress, destination: flow.remoteAddress,
                                                           protocolNumber: IPProtocol.tcp.rawValue, length: 0)
    }

    /// Stores the template's 40 bytes at `frame`.
    @inlinable @inline(__always)
    func store(to frame: UnsafeMutableRawPointer) {
        frame.storeBytes(of: words.0, toByteOffset: 0, as: UInt64.self)
        frame.storeBytes(of: words.1, toByteOffset: 8, as: UInt64.self)
        frame.storeBytes(of: words.2, toByteOffset: 16, as: UInt64.self)
        frame.storeBytes(of: words.3, toByteOffset: 24, as: UInt64.self)
        frame.storeBytes(of: words.4, toByteOffset: 32, as: UInt64.self)
    }
}
