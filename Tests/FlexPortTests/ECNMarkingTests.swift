import FlexPort
import FlexWire
import Testing

/// CE marking by the link emulator on 802.1Q-tagged and malformed frames (untagged frames are covered
/// by `LinkEmulatorTests`).
@Suite struct ECNMarkingTests {
    /// An 802.1Q-tagged Ethernet + IPv4 + TCP frame with valid checksums and a 64-byte payload.
    private func taggedTCPFrame(ecn: ECNCodepoint) throws -> [UInt8] {
        let ip = IPv4Repr(source: IPv4Address(198, 18, 0, 1), destination: IPv4Address(198, 18, 0, 2),
                          protocolNumber: .tcp, payloadLength: 0, identification: 7,
                          differentiatedServices: 46, ecn: ecn)
        let tcp = TCPSegmentRepr(sourcePort: 40_000, destinationPort: 5_001, sequenceNumber: SequenceNumber(1_000),
                                 acknowledgmentNumber: SequenceNumber(2_000), flags: [.ack, .psh], window: 512)
        let ethernet = EthernetRepr(destination: MACAddress(0x02, 0, 0, 0, 0, 0x0b), source: MACAddress(0x02, 0, 0, 0, 0, 0x0a),
                                    etherType: .ipv4, vlanTag: VLANTag(identifier: 42, priority: 5))
        return try FrameHeaders(ethernet: ethernet, network: .ipv4(ip, .tcp(tcp)))
            .frame(payload: (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37) })
    }

    /// Sends `frames` at one instant through an emulator that marks every frame finding one or more
    /// queued, and returns what arrives with the marked count. Frame 0 finds the queue empty.
    private func sendBurst(_ frames: [[UInt8]]) throws -> (received: [[UInt8]], marked: UInt64) {
        var settings = LinkEmulatorSettings()
        settings.rateBitsPerSecond = 1_000_000_000
        settings.ecnMarkingThreshold = 0
        let (emulator, wire, clock) = try makeEmulatedLink(settings)
        for frame in frames { #expect(emulator.transmit(frame)) }
        clock.advance(by: 1_000_000)
        emulator.poll()
        return (drainFrames(wire.b), emulator.emulatorStatistics.marked)
    }

    @Test func marksTaggedECTFramesKeepingTheHeaderChecksumValid() throws {
        let ect0 = try taggedTCPFrame(ecn: .ect0)
        let ect1 = try taggedTCPFrame(ecn: .ect1)
        let notECT = try taggedTCPFrame(ecn: .notECT)
        let (received, marked) = try sendBurst([ect0, ect0, ect1, notECT])
        try #require(received.count == 4)
        #expect(marked == 2)
        #expect(received[0] == ect0, "the first frame found an empty queue")
        #expect(received[3] == notECT, "not-ECT is never marked")
        // A marked frame is byte for byte the frame built as CE from scratch: only the ECN bits and the
        // header checksum changed, and the incrementally updated checksum equals a full recomputation.
        let builtAsCE = try taggedTCPFrame(ecn: .ce)
        #expect(received[1] == builtAsCE)
        #expect(received[2] == builtAsCE)
        let parsed = try received[1].withUnsafeBytes { bytes throws(WireError) in try ParsedFrame(parsing: bytes) }
        #expect(parsed.headers.ethernet.vlanTag == VLANTag(identifier: 42, priority: 5))
        guard case let .ipv4(ip, _) = parsed.headers.network else {
            Issue.record("the marked frame no longer parses as IPv4")
            return
        }
        #expect(ip.ecn == .ce)
        #expect(ip.differentiatedServices == 46)
    }

    @Test func leavesMalformedAndNonIPv4FramesUnmarked() throws {
        let valid = try taggedTCPFrame(ecn: .ect0)
        // IPv4 header of a tagged frame starts at 18; its traffic-class byte is 19.
        var totalLengthBeyondFrame = valid
        totalLengthBeyondFrame[20] = 0xff
        var headerLengthTooShort = valid
        headerLengthTooShort[18] = 0x44
        var notVersion4 = valid
        notVersion4[18] = 0x65
        var innerTypeIPv6 = valid
        innerTypeIPv6[16] = 0x86
        innerTypeIPv6[17] = 0xdd
        let truncatedTag = Array(valid[0..<17])
        let truncatedIPv4Header = Array(valid[0..<37])
        let frames = [valid, totalLengthBeyondFrame, headerLengthTooShort, notVersion4, innerTypeIPv6,
                      truncatedTag, truncatedIPv4Header]
        let (received, marked) = try sendBurst(frames)
        #expect(received == frames)
        #expect(marked == 0)
    }
}
