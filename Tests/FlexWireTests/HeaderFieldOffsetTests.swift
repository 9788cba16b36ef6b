import FlexWire
import Testing

/// The named field offsets are where the standards put the fields, in frames from another stack,
/// and where FlexWire's views write them (every field a distinct value, so two names sharing bytes show).
@Suite("Header field offsets")
struct HeaderFieldOffsetTests {
    private static func short(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    private static func word(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(short(bytes, at: offset)) << 16 | UInt32(short(bytes, at: offset + 2))
    }

    private static func mac(_ bytes: [UInt8], at offset: Int) -> [UInt8] {
        Array(bytes[offset..<offset + 6])
    }

    @Test("the fields of a segment Linux sent are found at the named offsets")
    func capturedSegment() {
        let frame = CapturedFrames.tcpAck
        #expect(Self.mac(frame, at: EthernetRepr.Offset.destination) == Sample.macB.bytes)
        #expect(Self.mac(frame, at: EthernetRepr.Offset.source) == Sample.macA.bytes)
        #expect(Self.short(frame, at: EthernetRepr.Offset.etherType) == EtherType.ipv4.rawValue)

        let ip = Array(frame[EthernetRepr.untaggedHeaderLength...])
        #expect(ip[IPv4Repr.Offset.versionAndHeaderLength] == 0x45)
        #expect(ip[IPv4Repr.Offset.trafficClass] == 0)
        #expect(Self.short(ip, at: IPv4Repr.Offset.totalLength) == 52)
        #expect(Self.short(ip, at: IPv4Repr.Offset.identification) == 0x6009)
        #expect(Self.short(ip, at: IPv4Repr.Offset.flagsAndFragmentOffset) == 0x4000)
        #expect(ip[IPv4Repr.Offset.timeToLive] == 64)
        #expect(ip[IPv4Repr.Offset.protocolNumber] == IPProtocol.tcp.rawValue)
        #expect(Self.short(ip, at: IPv4Repr.Offset.headerChecksum) == 0x4e93)
        #expect(Self.word(ip, at: IPv4Repr.Offset.source) == Sample.ipA.value)
        #expect(Self.word(ip, at: IPv4Repr.Offset.destination) == Sample.ipB.value)

        let tcp = Array(ip[IPv4Repr.headerLength...])
        #expect(Self.short(tcp, at: TCPSegmentRepr.Offset.sourcePort) == 46328)
        #expect(Self.short(tcp, at: TCPSegmentRepr.Offset.destinationPort) == 40000)
        #expect(Self.word(tcp, at: TCPSegmentRepr.Offset.sequenceNumber) == 0x3673_3890)
        #expect(Self.word(tcp, at: TCPSegmentRepr.Offset.acknowledgmentNumber) == 0xf864_8c0d)
        #expect(tcp[TCPSegmentRepr.Offset.dataOffset] == 0x80)
        #expect(tcp[TCPSegmentRepr.Offset.flags] == TCPFlags.ack.rawValue)
        #expect(Self.short(tcp, at: TCPSegmentRepr.Offset.window) == 0x003f)
        #expect(Self.short(tcp, at: TCPSegmentRepr.Offset.checksum) == 0xaaaa)
        #expect(Self.short(tcp, at: TCPSegmentRepr.Offset.urgentPointer) == 0)
    }

    @Test("header lengths end right after the last fixed field (IEEE 802.3 and 802.1Q, RFC 791, RFC 9293)")
    func headerLengths() {
        #expect(EthernetRepr.untaggedHeaderLength == 14 && EthernetRepr.untaggedHeaderLength == EthernetRepr.Offset.etherType + 2)
        #expect(EthernetRepr.taggedHeaderLength == 18 && EthernetRepr.taggedHeaderLength == EthernetRepr.Offset.vlanTagControl + 4)
        #expect(IPv4Repr.headerLength == 20 && IPv4Repr.headerLength == IPv4Repr.Offset.destination + 4)
        #expect(TCPSegmentRepr.fixedHeaderLength == 20 && TCPSegmentRepr.fixedHeaderLength == TCPSegmentRepr.Offset.urgentPointer + 2)
    }

    @Test("values written through the Ethernet view land at the named offsets, and the tag moves only the EtherType")
    func ethernetView() throws {
        let tag = VLANTag(identifier: 0x123, priority: 5)
        for vlanTag in [nil, tag] {
            var bytes = [UInt8](repeating: 0, count: EthernetRepr.taggedHeaderLength)
            _ = try bytes.withUnsafeMutableBytes { try Sample.ethernet(vlan: vlanTag).emit(into: $0) }
            let written = try withMutableBytes(bytes) { base, length in
                let frame = try EthernetFrame(checking: base, length: length)
                frame.setDestination(Sample.macA)
                frame.setSource(Sample.macB)
                frame.setEtherType(.arp)
            }
            #expect(Self.mac(written, at: EthernetRepr.Offset.destination) == Sample.macA.bytes)
            #expect(Self.mac(written, at: EthernetRepr.Offset.source) == Sample.macB.bytes)
            if vlanTag == nil {
                #expect(Self.short(written, at: EthernetRepr.Offset.etherType) == EtherType.arp.rawValue)
            } else {
                #expect(Self.short(written, at: EthernetRepr.Offset.etherType) == EtherType.vlan.rawValue)
                #expect(Self.short(written, at: EthernetRepr.Offset.vlanTagControl) == tag.tagControl)
                #expect(Self.short(written, at: EthernetRepr.taggedHeaderLength - 2) == EtherType.arp.rawValue)
            }
        }
    }

    @Test("values written through the IPv4 view land at the named offsets")
    func ipv4View() throws {
        var bytes = [UInt8](repeating: 0, count: IPv4Repr.headerLength)
        _ = try bytes.withUnsafeMutableBytes { try Sample.ipv4().emit(into: $0) }
        let written = try withMutableBytes(bytes) { base, length in
            let packet = try IPv4Packet(checking: base, length: length)
            packet.setDifferentiatedServices(0x2e)
            packet.setECN(.ect1)
            packet.setTotalLength(0x0a0b)
            packet.setIdentification(0x0c0d)
            packet.setFragmentation(dontFragment: false, moreFragments: true, offset: 0x0e08)
            packet.setTimeToLive(0x11)
            packet.setProtocolNumber(.udp)
            packet.setHeaderChecksum(0x1314)
            packet.setSource(IPv4Address(198, 18, 0x15, 0x16))
            packet.setDestination(IPv4Address(198, 19, 0x17, 0x18))
        }
        #expect(written[IPv4Repr.Offset.versionAndHeaderLength] == 0x45)
        #expect(written[IPv4Repr.Offset.trafficClass] == 0x2e << 2 | ECNCodepoint.ect1.rawValue)
        #expect(Self.short(written, at: IPv4Repr.Offset.totalLength) == 0x0a0b)
        #expect(Self.short(written, at: IPv4Repr.Offset.identification) == 0x0c0d)
        #expect(Self.short(written, at: IPv4Repr.Offset.flagsAndFragmentOffset) == 0x2000 | 0x0e08 >> 3)
        #expect(written[IPv4Repr.Offset.timeToLive] == 0x11)
        #expect(written[IPv4Repr.Offset.protocolNumber] == IPProtocol.udp.rawValue)
        #expect(Self.short(written, at: IPv4Repr.Offset.headerChecksum) == 0x1314)
        #expect(Self.word(written, at: IPv4Repr.Offset.source) == IPv4Address(198, 18, 0x15, 0x16).value)
        #expect(Self.word(written, at: IPv4Repr.Offset.destination) == IPv4Address(198, 19, 0x17, 0x18).value)
    }

    @Test("values written through the TCP view land at the named offsets")
    func tcpView() throws {
        let repr = TCPSegmentRepr(sourcePort: 1, destinationPort: 2, sequenceNumber: SequenceNumber(3), flags: .syn, window: 4)
        var bytes = [UInt8](repeating: 0, count: TCPSegmentRepr.fixedHeaderLength)
        _ = try bytes.withUnsafeMutableBytes {
            try repr.emit(into: $0, payload: UnsafeRawBufferPointer(start: nil, count: 0), source: Sample.ipA, destination: Sample.ipB)
        }
        let written = try withMutableBytes(bytes) { base, length in
            let segment = try TCPSegment(checking: base, length: length)
            segment.setSourcePort(0x0102)
            segment.setDestinationPort(0x0304)
            segment.setSequenceNumber(SequenceNumber(0x0506_0708))
            segment.setAcknowledgmentNumber(SequenceNumber(0x090a_0b0c))
            segment.setDataOffset(5)
            segment.setFlags([.fin, .cwr])
            segment.setWindow(0x0d0e)
            segment.setChecksum(0x0f10)
            segment.setUrgentPointer(0x1112)
        }
        #expect(Self.short(written, at: TCPSegmentRepr.Offset.sourcePort) == 0x0102)
        #expect(Self.short(written, at: TCPSegmentRepr.Offset.destinationPort) == 0x0304)
        #expect(Self.word(written, at: TCPSegmentRepr.Offset.sequenceNumber) == 0x0506_0708)
        #expect(Self.word(written, at: TCPSegmentRepr.Offset.acknowledgmentNumber) == 0x090a_0b0c)
        #expect(written[TCPSegmentRepr.Offset.dataOffset] == 5 << 4)
        #expect(written[TCPSegmentRepr.Offset.flags] == TCPFlags([.fin, .cwr]).rawValue)
        #expect(Self.short(written, at: TCPSegmentRepr.Offset.window) == 0x0d0e)
        #expect(Self.short(written, at: TCPSegmentRepr.Offset.checksum) == 0x0f10)
        #expect(Self.short(written, at: TCPSegmentRepr.Offset.urgentPointer) == 0x1112)
    }
}
