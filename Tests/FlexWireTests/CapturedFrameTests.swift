import FlexWire
import Testing

@Suite("Frames captured from the Linux kernel")
struct CapturedFrameTests {
    @Test("parses with checksums verified and re-emits byte for byte", arguments: CapturedFrames.all)
    func reemitReproducesBytes(frame: CapturedFrame) throws {
        let bytes = frame.bytes
        let parsed = try parseFrame(bytes)
        let payload = Array(bytes[parsed.payloadRange])
        #expect(try buildFrame(parsed.headers, payload: payload) == bytes)
    }

    @Test("recomputing every checksum in place through the mutable views gives the kernel's values",
          arguments: CapturedFrames.all.filter(\.isIPv4))
    func checksumsRecomputedInPlace(frame: CapturedFrame) throws {
        let recomputed = try withMutableBytes(frame.bytes) { base, length in
            let ethernet = try EthernetFrame(checking: base, length: length)
            let ip = try IPv4Packet(checking: ethernet.payloadBase, length: ethernet.payloadLength)
            ip.setHeaderChecksum(0)
            ip.fillHeaderChecksum()
            switch ip.protocolNumber {
            case .tcp:
                let segment = try TCPSegment(checking: ip.payloadBase, length: ip.payloadLength)
                segment.setChecksum(0)
                segment.fillChecksum(source: ip.source, destination: ip.destination)
            case .udp:
                let datagram = try UDPDatagram(checking: ip.payloadBase, length: ip.payloadLength)
                datagram.setChecksum(0)
                datagram.fillChecksum(source: ip.source, destination: ip.destination)
            default:
                let message = try ICMPv4Packet(checking: ip.payloadBase, length: ip.payloadLength)
                message.setChecksum(0)
                message.fillChecksum()
            }
        }
        #expect(recomputed == frame.bytes)
    }

    @Test("stored checksums are the kernel's known values")
    func knownChecksumValues() throws {
        try withBytes(CapturedFrames.echoRequest) { base, length in
            let ip = try IPv4Packet(checking: base + 14, length: length - 14)
            #expect(ip.headerChecksum == 0x74bf && ip.isHeaderChecksumValid)
            let icmp = try ICMPv4Packet(checking: ip.payloadBase, length: ip.payloadLength)
            #expect(icmp.checksum == 0xe499 && icmp.isChecksumValid)
        }
        try withBytes(CapturedFrames.tcpSyn) { base, length in
            let ip = try IPv4Packet(checking: base + 14, length: length - 14)
            let segment = try TCPSegment(checking: ip.payloadBase, length: ip.payloadLength)
            #expect(segment.checksum == 0x990e && segment.isChecksumValid(source: ip.source, destination: ip.destination))
        }
        try withBytes(CapturedFrames.udpDatagram) { base, length in
            let ip = try IPv4Packet(checking: base + 14, length: length - 14)
            let datagram = try UDPDatagram(checking: ip.payloadBase, length: ip.payloadLength)
            #expect(datagram.checksum == 0x66dc && datagram.isChecksumValid(source: ip.source, destination: ip.destination))
        }
    }

    @Test("a corrupted byte fails the checksum of the layer that covers it")
    func corruptionIsDetected() throws {
        func corrupted(_ bytes: [UInt8], at index: Int) -> [UInt8] {
            var copy = bytes
            copy[index] ^= 0x01
            return copy
        }
        #expect(throws: WireError.badChecksum(.ipv4)) { try parseFrame(corrupted(CapturedFrames.tcpAck, at: 22)) }
        #expect(throws: WireError.badChecksum(.tcp)) { try parseFrame(corrupted(CapturedFrames.tcpData, at: 70)) }
        #expect(throws: WireError.badChecksum(.udp)) { try parseFrame(corrupted(CapturedFrames.udpDatagram, at: 44)) }
        #expect(throws: WireError.badChecksum(.icmp)) { try parseFrame(corrupted(CapturedFrames.echoReply, at: 60)) }
        // Without verification the same frames parse.
        #expect(throws: Never.self) { try parseFrame(corrupted(CapturedFrames.tcpData, at: 70), verifyChecksums: false) }
    }

    @Test("ARP request and reply fields")
    func arpFields() throws {
        let request = try parseFrame(CapturedFrames.arpRequest)
        #expect(request.headers.ethernet.destination == .broadcast)
        #expect(request.headers.network == .arp(ARPRepr(
            operation: .request, senderHardwareAddress: Sample.macA, senderProtocolAddress: Sample.ipA,
            targetHardwareAddress: .zero, targetProtocolAddress: Sample.ipB)))
        let reply = try parseFrame(CapturedFrames.arpReply)
        #expect(reply.headers.network == .arp(ARPRepr(
            operation: .reply, senderHardwareAddress: Sample.macB, senderProtocolAddress: Sample.ipB,
            targetHardwareAddress: Sample.macA, targetProtocolAddress: Sample.ipA)))
    }

    @Test("ping fields and payload")
    func pingFields() throws {
        let parsed = try parseFrame(CapturedFrames.echoRequest)
        guard case let .ipv4(ip, .icmp(message)) = parsed.headers.network else {
            Issue.record("not ICMP: \(parsed.headers.network)")
            return
        }
        #expect(ip.source == Sample.ipA && ip.destination == Sample.ipB)
        #expect(ip.identification == 0x39c2 && ip.dontFragment && !ip.isFragment && ip.timeToLive == 64)
        #expect(message == .echoRequest(identifier: 0x1700, sequenceNumber: 1))
        #expect(parsed.payloadRange.count == 56)
        #expect(CapturedFrames.echoRequest[parsed.payloadRange].suffix(8) == [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37])
    }

    @Test("TCP handshake options and data")
    func tcpFields() throws {
        let syn = try parseFrame(CapturedFrames.tcpSyn)
        guard case let .ipv4(_, .tcp(segment)) = syn.headers.network else {
            Issue.record("not TCP")
            return
        }
        #expect(segment.sourcePort == 46328 && segment.destinationPort == 40000)
        #expect(segment.sequenceNumber == SequenceNumber(0x3673_388f) && segment.flags == .syn)
        #expect(segment.window == 64240)
        #expect(segment.options == TCPOptions(maximumSegmentSize: 1460, windowScale: 10, sackPermitted: true,
                                              timestamps: TCPTimestamps(value: 0x8410_e389, echoReply: 0)))
        let data = try parseFrame(CapturedFrames.tcpData)
        #expect(String(decoding: CapturedFrames.tcpData[data.payloadRange], as: UTF8.self) == "hello flexwire")
        guard case let .ipv4(_, .tcp(dataSegment)) = data.headers.network else {
            Issue.record("not TCP")
            return
        }
        #expect(dataSegment.flags == [.psh, .ack])
        #expect(dataSegment.acknowledgmentNumber == SequenceNumber(0xf864_8c0d))
    }

    @Test("UDP ports and payload; IPv6 recognised but not parsed")
    func udpAndIPv6() throws {
        let udp = try parseFrame(CapturedFrames.udpDatagram)
        #expect(udp.headers.network == .ipv4(
            IPv4Repr(source: Sample.ipA, destination: Sample.ipB, protocolNumber: .udp, payloadLength: 21, identification: 0xd1de),
            .udp(UDPRepr(sourcePort: 51286, destinationPort: 40001))))
        #expect(String(decoding: CapturedFrames.udpDatagram[udp.payloadRange], as: UTF8.self) == "udp datagram!")
        let ipv6 = try parseFrame(CapturedFrames.ipv6NeighborSolicitation)
        #expect(ipv6.headers.ethernet.etherType == .ipv6 && ipv6.headers.network == .other)
        #expect(ipv6.payloadRange == 14 ..< CapturedFrames.ipv6NeighborSolicitation.count)
    }
}
