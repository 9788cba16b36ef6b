import FlexWire
import Testing

@Suite("Whole frames: parse and build")
struct FrameTests {
    static let synOptions = TCPOptions(maximumSegmentSize: 1460, windowScale: 7, sackPermitted: true,
                                       timestamps: TCPTimestamps(value: 5, echoReply: 0))

    static let transports: [FrameHeaders.Transport] = [
        .tcp(TCPSegmentRepr(sourcePort: 1, destinationPort: 2, sequenceNumber: SequenceNumber(3), flags: .syn,
                            window: 4, options: synOptions)),
        .tcp(TCPSegmentRepr(sourcePort: 1, destinationPort: 2, sequenceNumber: SequenceNumber(3),
                            acknowledgmentNumber: SequenceNumber(9), flags: [.ack], window: 4,
                            options: TCPOptions(timestamps: TCPTimestamps(value: 1, echoReply: 2),
                                                sackBlocks: [TCPSACKBlock(leftEdge: SequenceNumber(100), rightEdge: SequenceNumber(200))]))),
        .udp(UDPRepr(sourcePort: 53, destinationPort: 5353)),
        .icmp(.echoRequest(identifier: 1, sequenceNumber: 2)),
        .icmp(.other(type: 3, code: 1, restOfHeader: 0)),
        .other,
    ]

    @Test("every transport, tagged or not, round-trips through build and parse",
          arguments: transports, [nil, VLANTag(identifier: 100, priority: 3)])
    func roundTrip(transport: FrameHeaders.Transport, vlan: VLANTag?) throws {
        let payload: [UInt8] = Array("some payload bytes".utf8)
        var ip = Sample.ipv4(transport.protocolNumber ?? IPProtocol(rawValue: 47))
        ip.payloadLength = transport.headerLength + payload.count
        let headers = FrameHeaders(ethernet: Sample.ethernet(vlan: vlan), network: .ipv4(ip, transport))
        let bytes = try buildFrame(headers, payload: payload)
        #expect(bytes.count == headers.frameLength(payloadCount: payload.count))
        let parsed = try parseFrame(bytes)
        #expect(parsed.headers == headers)
        #expect(Array(bytes[parsed.payloadRange]) == payload)
    }

    @Test("the builder derives the EtherType, the IP protocol and the IP payload length")
    func derivedFields() throws {
        #expect(FrameTests.transports.map(\.protocolNumber) == [.tcp, .tcp, .udp, .icmp, .icmp, nil])
        var ethernet = Sample.ethernet()
        ethernet.etherType = .ipv6
        let udp = FrameHeaders.Transport.udp(UDPRepr(sourcePort: 7, destinationPort: 7))
        let bytes = try buildFrame(FrameHeaders(ethernet: ethernet, network: .ipv4(Sample.ipv4(.tcp), udp)), payload: [1, 2, 3])
        let parsed = try parseFrame(bytes)
        var expectedIP = Sample.ipv4(.udp)
        expectedIP.payloadLength = 11
        ethernet.etherType = .ipv4
        #expect(parsed.headers == FrameHeaders(ethernet: ethernet, network: .ipv4(expectedIP, udp)))
        let arp = ARPRepr(operation: .reply, senderHardwareAddress: Sample.macA, senderProtocolAddress: Sample.ipA,
                          targetHardwareAddress: Sample.macB, targetProtocolAddress: Sample.ipB)
        let arpFrame = try buildFrame(FrameHeaders(ethernet: Sample.ethernet(), network: .arp(arp)))
        #expect(arpFrame.count == 42 && arpFrame[12] == 0x08 && arpFrame[13] == 0x06)
    }

    @Test("fragments are recognised and not parsed further")
    func fragments() throws {
        var first = Sample.ipv4(.tcp)
        first.moreFragments = true
        var later = Sample.ipv4(.tcp)
        later.fragmentOffset = 1480
        for ip in [first, later] {
            // Three bytes: not a TCP header, which must not matter for a fragment.
            let bytes = try buildFrame(FrameHeaders(ethernet: Sample.ethernet(), network: .ipv4(ip, .fragment)), payload: [1, 2, 3])
            let parsed = try parseFrame(bytes)
            guard case let .ipv4(parsedIP, .fragment) = parsed.headers.network else {
                Issue.record("not a fragment: \(parsed.headers.network)")
                continue
            }
            #expect(parsedIP.isFragment && parsed.payloadRange == 34..<37)
        }
    }

    @Test("Ethernet padding after the IP packet is outside the payload and not re-emitted")
    func ethernetPadding() throws {
        let padded = CapturedFrames.udpDatagram + [UInt8](repeating: 0, count: 60 - CapturedFrames.udpDatagram.count)
        let parsed = try parseFrame(padded)
        #expect(parsed.payloadRange == 42..<55)
        #expect(try buildFrame(parsed.headers, payload: Array(padded[parsed.payloadRange])) == CapturedFrames.udpDatagram)
    }

    @Test("the first error of any layer is returned")
    func firstErrorWins() throws {
        #expect(throws: WireError.truncated(.ethernet)) { try parseFrame([]) }
        #expect(throws: WireError.truncated(.ipv4)) { try parseFrame(Array(CapturedFrames.tcpAck.prefix(33))) }
        #expect(throws: WireError.truncated(.arp)) { try parseFrame(Array(CapturedFrames.arpReply.prefix(41))) }
        var shortTCP = CapturedFrames.tcpAck
        shortTCP[46] = 0x40
        #expect(throws: WireError.badHeaderLength(.tcp)) { try parseFrame(shortTCP, verifyChecksums: false) }
        var shortUDP = CapturedFrames.udpDatagram
        shortUDP[39] = 4
        #expect(throws: WireError.badLength(.udp)) { try parseFrame(shortUDP, verifyChecksums: false) }
        var truncatedICMP = CapturedFrames.echoRequest
        truncatedICMP[17] = 20 + 7
        #expect(throws: WireError.truncated(.icmp)) { try parseFrame(truncatedICMP, verifyChecksums: false) }
        var badOption = CapturedFrames.tcpSyn
        badOption[55] = 5  // MSS length 5
        #expect(throws: WireError.badOptionLength(kind: 2)) { try parseFrame(badOption, verifyChecksums: false) }
    }

    @Test("building into a buffer that is too small throws")
    func emitTooSmall() throws {
        let headers = FrameHeaders(ethernet: Sample.ethernet(), network: .ipv4(Sample.ipv4(), FrameTests.transports[0]))
        let needed = headers.frameLength(payloadCount: 10)
        let payload = [UInt8](repeating: 1, count: 10)
        for size in [0, 13, 33, needed - 1] {
            var bytes = [UInt8](repeating: 0, count: size)
            #expect(throws: WireError.bufferTooSmall) {
                try bytes.withUnsafeMutableBytes { buffer in try payload.withUnsafeBytes { try headers.emit(payload: $0, into: buffer) } }
            }
        }
    }
}
