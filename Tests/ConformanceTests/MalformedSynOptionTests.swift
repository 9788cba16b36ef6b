import FlexWire
import Testing

/// Issue 8 item 5: a malformed option in a SYN is treated as absent, as Linux does
/// (tcp_parse_options skips a known option of the wrong size and stops at one longer than the rest).
@Suite("Conformance: malformed SYN options")
struct MalformedSynOptionTests {
    /// The peer's SYN carries `rawOptions`; we must answer with a SYN-ACK carrying only our MSS
    /// (the malformed option absent) and the peer's ACK must complete the handshake.
    private func expectConnects(rawOptions: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let script = try ConformanceScript.listening()
        try script.send(.syn, seq: 5000, rawOptions: rawOptions, sourceLocation: sourceLocation)
        let synAck = try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001),
                                                options: TCPOptions(maximumSegmentSize: ConformanceScript.ourMaximumSegmentSize)),
                                       sourceLocation: sourceLocation)
        try script.send(.ack, seq: 5001, ack: synAck.segment.sequenceNumber + 1, sourceLocation: sourceLocation)
        #expect(script.slowPath.accept(port: script.localPort) != nil, "connected", sourceLocation: sourceLocation)
        script.expectNothing(sourceLocation: sourceLocation)
    }

    @Test("Issue 8 item 5 (Linux): SYN with an MSS option of length 3 connects, MSS treated as absent")
    func maximumSegmentSizeLengthThree() throws {
        try expectConnects(rawOptions: [2, 3, 0x05])
    }

    @Test("Issue 8 item 5 (Linux): SYN with a timestamps option of length 8 connects without timestamps")
    func timestampsLengthEight() throws {
        try expectConnects(rawOptions: [8, 8, 0, 0, 1, 0, 0, 0])
    }

    @Test("Issue 8 item 5 (Linux): SYN with a timestamps option of length 255 connects without timestamps")
    func timestampsLength255() throws {
        try expectConnects(rawOptions: [8, 255, 0, 0, 1, 0, 0, 0, 0, 0])
    }

    @Test("Issue 8 item 5 (Linux): SYN with a SACK-permitted option of length 10 connects without SACK")
    func sackPermittedLengthTen() throws {
        try expectConnects(rawOptions: [4, 10, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("Issue 8 item 5 (Linux): SYN with a window-scale option of length 2 connects without window scaling")
    func windowScaleLengthTwo() throws {
        try expectConnects(rawOptions: [3, 2])
    }

    @Test("RFC 9293 3.1: unknown option kinds in a SYN are skipped and the known ones honoured")
    func unknownOptionSkipped() throws {
        let script = try ConformanceScript.listening()
        try script.send(.syn, seq: 5000, rawOptions: [253, 4, 0xab, 0xcd, 1, 3, 3, 5])
        try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001),
                                   options: TCPOptions(maximumSegmentSize: 1460, windowScale: 0)))
    }
}

/// Issue 8 item 6: beyond the connection capacity, never a connection the peer believes open and we don't.
@Suite("Conformance: connection capacity")
struct CapacityTests {
    @Test("Issue 8 item 6: with every connection slot taken, a SYN gets no SYN-ACK")
    func noSynAckWhenFull() throws {
        let script = try ConformanceScript.established(ringPairs: 1)
        script.remotePort += 1
        try script.send(.syn, seq: 9000, options: TCPOptions(maximumSegmentSize: 1460))
        script.expectNothing()
    }

    @Test("Issue 8 item 6: when the last slot is taken between our SYN-ACK and the peer's ACK, the ACK gets RST SEQ=SEG.ACK")
    func resetWhenResourcesVanish() throws {
        let script = try ConformanceScript.listening(ringPairs: 1)
        let first = try script.peerSendsSYN()
        script.remotePort += 1
        let second = try script.peerSendsSYN(seq: SequenceNumber(9000))
        script.remotePort -= 1
        try script.send(.ack, seq: ConformanceScript.defaultIRS + 1, ack: first.segment.sequenceNumber + 1)
        #expect(script.slowPath.accept(port: script.localPort) != nil)
        script.remotePort += 1
        try script.send(.ack, seq: SequenceNumber(9001), ack: second.segment.sequenceNumber + 1)
        try script.expect(.segment(flags: .rst, seq: second.segment.sequenceNumber + 1))
    }
}
