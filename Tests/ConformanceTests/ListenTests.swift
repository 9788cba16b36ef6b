import FlexWire
import Testing

/// RFC 9293 §3.10.7.2 (LISTEN) and the passive-open options of RFC 7323 and RFC 2018.
@Suite("Conformance: LISTEN")
struct ListenTests {
    let script: ConformanceScript
    init() throws { script = try ConformanceScript.listening() }

    @Test("RFC 9293 3.10.7.2 LISTEN: an RST is ignored")
    func resetIgnored() throws {
        try script.send(.rst, seq: 100)
        try script.send([.rst, .ack], seq: 100, ack: 200)
        script.expectNothing()
    }

    @Test("RFC 9293 3.10.7.2 LISTEN: ACK gets RST with SEQ=SEG.ACK")
    func ackGetsReset() throws {
        try script.send(.ack, seq: 100, ack: 4242)
        try script.expect(.segment(flags: .rst, seq: SequenceNumber(4242)))
    }

    @Test("RFC 9293 3.10.7.2 LISTEN: SYN|ACK gets RST with SEQ=SEG.ACK")
    func synAckGetsReset() throws {
        try script.send([.syn, .ack], seq: 100, ack: 4242)
        try script.expect(.segment(flags: .rst, seq: SequenceNumber(4242)))
    }

    @Test("RFC 9293 3.10.7.2 LISTEN: SYN with MSS gets SYN-ACK SEQ=ISS ACK=SEG.SEQ+1, our MSS, unscaled window")
    func synGetsSynAck() throws {
        try script.send(.syn, seq: 5000, options: TCPOptions(maximumSegmentSize: 1460))
        try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001), window: UInt16(ConformanceScript.ringSize),
                                   options: TCPOptions(maximumSegmentSize: ConformanceScript.ourMaximumSegmentSize)))
        script.expectNothing()
    }

    @Test("RFC 9293 3.7.1: peer sends SYN with MSS 0 -> we send SYN-ACK with MSS 1460 and the handshake completes")
    func synWithZeroMSS() throws {
        try script.send(.syn, seq: 5000, options: TCPOptions(maximumSegmentSize: 0))
        let synAck = try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001),
                                                options: TCPOptions(maximumSegmentSize: 1460)))
        try script.send(.ack, seq: 5001, ack: synAck.segment.sequenceNumber + 1)
        #expect(script.slowPath.accept(port: script.localPort) != nil)
    }

    @Test("RFC 7323 3.2: SYN with timestamps gets SYN-ACK with TSecr = the SYN's TSval")
    func synTimestampsEchoed() throws {
        try script.send(.syn, seq: 5000, options: TCPOptions(maximumSegmentSize: 1460, timestamps: TCPTimestamps(value: 777, echoReply: 0)))
        let synAck = try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001), timestampEcho: 777))
        #expect(synAck.segment.options.timestamps?.value == UInt32(truncatingIfNeeded: script.now / 1000))
    }

    @Test("RFC 7323 2.2/3.2: SYN without options gets a SYN-ACK without window scale, timestamps or SACK-permitted")
    func noOptionsNoOptionsBack() throws {
        try script.send(.syn, seq: 5000, options: TCPOptions())
        try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001), options: TCPOptions(maximumSegmentSize: 1460)))
    }

    @Test("RFC 7323 2.2 / RFC 2018: SYN with window scale and SACK-permitted gets both back (our shift 0 for a 16 KiB ring)")
    func windowScaleAndSackAnswered() throws {
        try script.send(.syn, seq: 5000, options: TCPOptions(maximumSegmentSize: 1460, windowScale: 7, sackPermitted: true))
        try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001),
                                   options: TCPOptions(maximumSegmentSize: 1460, windowScale: 0, sackPermitted: true)))
    }

    @Test("RFC 9293 3.10.7.2 LISTEN: SYN|RST is ignored (RST checked first)")
    func synResetIgnored() throws {
        try script.send([.syn, .rst], seq: 5000)
        script.expectNothing()
    }

    @Test("Issue 8 item 7 (Linux): SYN|FIN is dropped, no SYN-ACK")
    func synFinDropped() throws {
        try script.send([.syn, .fin], seq: 5000)
        script.expectNothing()
    }

    @Test("Issue 8 item 7 (Linux): SYN|URG|PSH|FIN is dropped, no SYN-ACK")
    func christmasTreeDropped() throws {
        try script.send([.syn, .urg, .psh, .fin], seq: 5000)
        script.expectNothing()
    }

    @Test("Issue 8 item 7 / RFC 9293 3.10.7.2 LISTEN: a segment with no flags is dropped without RST")
    func noFlagsDropped() throws {
        try script.send([], seq: 5000, payload: ConformanceScript.bytes(5))
        script.expectNothing()
    }

    @Test("Issue 8 item 7 / RFC 9293 3.10.7.2 LISTEN: FIN alone is dropped without RST")
    func finAloneDropped() throws {
        try script.send(.fin, seq: 5000)
        script.expectNothing()
    }

    @Test("Issue 8 item 7 / RFC 9293 3.10.7.2: data on a SYN is not acknowledged; SYN-ACK ACK=SEG.SEQ+1; data arrives once resent")
    func synDataAcknowledgesOnlySYN() throws {
        try script.send(.syn, seq: 5000, options: TCPOptions(maximumSegmentSize: 1460), payload: ConformanceScript.bytes(10))
        let synAck = try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001)))
        try script.send(.ack, seq: 5001, ack: synAck.segment.sequenceNumber + 1)
        script.flow = script.slowPath.accept(port: script.localPort)
        #expect(script.flow != nil && script.delivered.isEmpty)
        script.expectNothing()
        try script.send([.ack, .psh], seq: 5001, ack: synAck.segment.sequenceNumber + 1, payload: ConformanceScript.bytes(10))
        try script.expect(.segment(flags: .ack, seq: synAck.segment.sequenceNumber + 1, ack: SequenceNumber(5011)))
        #expect(script.delivered == ConformanceScript.bytes(10))
    }

    @Test("RFC 1122 3.2.1.8: a SYN with IPv4 options (NOP NOP NOP EOL) gets a SYN-ACK")
    func synWithIPOptions() throws {
        try script.send(.syn, seq: 5000, options: TCPOptions(maximumSegmentSize: 1460), ipOptions: [1, 1, 1, 0])
        try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001)))
    }

    @Test("RFC 1122 3.3.2 / issue 8 item 7: a SYN in two IPv4 fragments is reassembled and gets a SYN-ACK")
    func fragmentedSyn() throws {
        let frame = try script.frame(.syn, seq: 5000, options: TCPOptions(maximumSegmentSize: 1460), payload: [])
        for fragment in CraftedFrame.fragments(of: frame, splitAt: [16]) { script.sendFrame(fragment) }
        try script.expect(.segment(flags: [.syn, .ack], ack: SequenceNumber(5001)))
    }

    @Test("Linux: a SYN while the accept backlog is full gets no SYN-ACK")
    func backlogFullDropsSyn() throws {
        let script = try ConformanceScript.listening(backlog: 1)
        try script.peerSendsSYN()
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1)
        script.remotePort += 1
        try script.send(.syn, seq: 9000)
        script.expectNothing()
    }

    @Test("RFC 6528: ISNs differ per 4-tuple at the same time")
    func isnsDifferPerTuple() throws {
        let first = try script.peerSendsSYN().segment.sequenceNumber
        script.remotePort += 1
        let second = try script.peerSendsSYN().segment.sequenceNumber
        #expect(first != second)
    }

    @Test("RFC 6528: the ISN of one 4-tuple advances with the 4-microsecond clock (250000 per second)")
    func isnAdvancesWithTime() throws {
        let first = try script.peerSendsSYN().segment.sequenceNumber
        try script.send(.rst, seq: script.irs + 1)
        script.expectNothing()
        script.advance(by: ConformanceScript.second, step: ConformanceScript.second)
        script.expectNothing()
        let second = try script.peerSendsSYN().segment.sequenceNumber
        #expect(second - first == 250_000)
    }
}
