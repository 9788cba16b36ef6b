import FlexWire
import Testing

/// RFC 9293 §3.10.7.4 for SYN-RECEIVED: the half-open connection after our SYN-ACK.
@Suite("Conformance: SYN-RECEIVED")
struct SynReceivedTests {
    let script: ConformanceScript
    init() throws {
        script = try ConformanceScript.listening()
        try script.peerSendsSYN()
    }

    @Test("RFC 9293 3.10.7.4 SYN-RECEIVED: ACK of ISS+1 completes the handshake; the application sees established")
    func ackCompletes() throws {
        try script.peerCompletesHandshake()
        #expect(script.state == .established)
        #expect(script.events.count == 1)
        guard case .established(_, _, let address, let port, _) = script.events.first else { return }
        #expect(address == ConformanceScript.peerAddress && port == script.remotePort)
    }

    @Test("RFC 9293 3.10.7.4 SYN-RECEIVED: an unacceptable ACK gets RST with SEQ=SEG.ACK; the handshake can still complete")
    func badAckGetsReset() throws {
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1000)
        try script.expect(.segment(flags: .rst, seq: script.iss + 1000))
        try script.peerCompletesHandshake()
    }

    @Test("RFC 9293 3.8.1: a retransmitted SYN gets the same SYN-ACK again")
    func retransmittedSynAnswered() throws {
        try script.send(.syn, seq: script.irs, options: TCPOptions(maximumSegmentSize: 1460))
        try script.expect(.segment(flags: [.syn, .ack], seq: script.iss, ack: script.irs + 1))
    }

    @Test("RFC 6298 / RFC 9293 3.8.1: our SYN-ACK is retransmitted after the initial RTO (1 s) with the same ISS")
    func synAckRetransmitted() throws {
        script.advance(by: 990 * ConformanceScript.millisecond)
        script.expectNothing()
        script.advance(by: 20 * ConformanceScript.millisecond)
        try script.expect(.segment(flags: [.syn, .ack], seq: script.iss, ack: script.irs + 1))
    }

    @Test("RFC 9293 3.10.7.4 SYN-RECEIVED: RST with SEQ=RCV.NXT drops the half-open connection (its ACK then gets RST)")
    func exactResetDropsHalfOpen() throws {
        try script.send(.rst, seq: script.irs + 1)
        script.expectNothing()
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1)
        try script.expect(.segment(flags: .rst, seq: script.iss + 1))
    }

    @Test("RFC 5961 3.2 SYN-RECEIVED: RST outside the window is ignored; the handshake still completes")
    func outOfWindowResetIgnored() throws {
        try script.send(.rst, seq: script.irs + 100_000)
        script.expectNothing()
        try script.peerCompletesHandshake()
    }

    @Test("RFC 9293 3.10.7.4 SYN-RECEIVED: data on the completing ACK is delivered and acknowledged")
    func dataOnCompletingAck() throws {
        try script.send([.ack, .psh], seq: script.irs + 1, ack: script.iss + 1, payload: ConformanceScript.bytes(14))
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: script.irs + 15))
        script.flow = script.slowPath.accept(port: script.localPort)
        #expect(script.flow != nil && script.delivered == ConformanceScript.bytes(14))
    }

    @Test("RFC 9293 3.10.7.4 SYN-RECEIVED: FIN on the completing ACK is taken: ACK of FIN, CLOSE-WAIT")
    func finOnCompletingAck() throws {
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 1)
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: script.irs + 2))
        script.flow = script.slowPath.accept(port: script.localPort)
        #expect(script.state == .closeWait)
        #expect(script.flowEvents.contains { if case .peerClosed = $0 { true } else { false } })
    }
}

/// RFC 9293 §3.10.7.3: SYN-SENT, after the application's connect.
@Suite("Conformance: SYN-SENT")
struct SynSentTests {
    let script: ConformanceScript
    let syn: SentSegment
    init() throws { (script, syn) = try ConformanceScript.connecting() }

    @Test("RFC 9293 3.8.1 / RFC 7323 / RFC 2018: our SYN carries MSS, SACK-permitted, timestamps and window scale")
    func synOptions() throws {
        #expect(syn.segment.acknowledgmentNumber == SequenceNumber(0))
        #expect(syn.segment.window == UInt16(ConformanceScript.ringSize))
        let options = syn.segment.options
        #expect(options.maximumSegmentSize == 1460 && options.sackPermitted && options.windowScale == 0)
        #expect(options.timestamps?.echoReply == 0 && options.timestamps?.value == UInt32(truncatingIfNeeded: script.now / 1000))
        #expect(script.state == .synSent)
    }

    @Test("RFC 9293 3.10.7.3 SYN-SENT: SYN-ACK acknowledging ISS+1 gets ACK SEQ=ISS+1 ACK=IRS+1; established")
    func synAckEstablishes() throws {
        try script.peerSendsSYNACK()
        #expect(script.flowEvents.count == 1)
    }

    @Test("RFC 7323 3.2 SYN-SENT: with timestamps in the SYN-ACK our ACK echoes its TSval")
    func synAckTimestampsEchoed() throws {
        script.peerTimestamp = 4321
        try script.send([.syn, .ack], seq: SequenceNumber(7000), ack: script.iss + 1,
                        options: TCPOptions(maximumSegmentSize: 1460, timestamps: TCPTimestamps(value: 4321, echoReply: 0)))
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: SequenceNumber(7001), timestampEcho: 4321))
    }

    @Test("RFC 7323 3.2 SYN-SENT: a SYN-ACK without timestamps gets an ACK without timestamps")
    func synAckWithoutTimestamps() throws {
        try script.send([.syn, .ack], seq: SequenceNumber(7000), ack: script.iss + 1, options: TCPOptions(maximumSegmentSize: 1460))
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: SequenceNumber(7001), options: TCPOptions()))
    }

    @Test("RFC 9293 3.10.7.3 SYN-SENT: ACK not acknowledging our SYN gets RST SEQ=SEG.ACK; still SYN-SENT")
    func badAckGetsReset() throws {
        try script.send(.ack, seq: SequenceNumber(7000), ack: script.iss + 500)
        try script.expect(.segment(flags: .rst, seq: script.iss + 500))
        #expect(script.state == .synSent)
    }

    @Test("RFC 9293 3.10.7.3 SYN-SENT: SYN-ACK with SEG.ACK=ISS gets RST SEQ=SEG.ACK; still SYN-SENT")
    func synAckOldAckGetsReset() throws {
        try script.send([.syn, .ack], seq: SequenceNumber(7000), ack: script.iss)
        try script.expect(.segment(flags: .rst, seq: script.iss))
        #expect(script.state == .synSent)
    }

    @Test("RFC 9293 3.10.7.3 SYN-SENT: RST|ACK acknowledging our SYN fails the connect (connection reset)")
    func resetAckFailsConnect() throws {
        try script.send([.rst, .ack], seq: SequenceNumber(0), ack: script.iss + 1)
        script.expectNothing()
        #expect(script.state == nil)
        #expect(script.flowEvents == [.connectFailed(flow: script.flow!, opaque: 0, context: 0, reason: .resetByPeer)])
    }

    @Test("RFC 9293 3.10.7.3 SYN-SENT: RST without ACK is ignored")
    func resetWithoutAckIgnored() throws {
        try script.send(.rst, seq: SequenceNumber(0))
        script.expectNothing()
        #expect(script.state == .synSent)
    }

    @Test("RFC 5961 / RFC 9293 3.10.7.3 SYN-SENT: RST|ACK with an unacceptable ACK is ignored, no RST back")
    func resetWithBadAckIgnored() throws {
        try script.send([.rst, .ack], seq: SequenceNumber(0), ack: script.iss + 77)
        script.expectNothing()
        #expect(script.state == .synSent)
    }

    @Test("RFC 9293 3.10.7.3 SYN-SENT: a SYN alone (simultaneous open) gets SYN-ACK SEQ=ISS ACK=SEG.SEQ+1; the ACK establishes")
    func simultaneousOpen() throws {
        try script.send(.syn, seq: 7000, options: TCPOptions(maximumSegmentSize: 1460))
        try script.expect(.segment(flags: [.syn, .ack], seq: script.iss, ack: 7001))
        try script.send(.ack, seq: 7001, ack: script.iss + 1)
        // Nothing is owed here; a redundant ACK with the right numbers is harmless.
        #expect(script.takeSent().allSatisfy { $0.segment.flags == .ack && $0.segment.acknowledgmentNumber == 7001 })
        #expect(script.state == .established)
        #expect(script.flowEvents.count == 1)
    }

    @Test("RFC 9293 3.10.7.3 SYN-SENT: text on the ACK that completes a simultaneous open is delivered and acknowledged")
    func simultaneousOpenWithText() throws {
        try script.send(.syn, seq: 7000, options: TCPOptions(maximumSegmentSize: 1460))
        try script.expect(.segment(flags: [.syn, .ack], seq: script.iss, ack: 7001))
        try script.send(.ack, seq: 7001, ack: script.iss + 1, payload: ConformanceScript.bytes(5))
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: 7006))
        #expect(script.delivered == ConformanceScript.bytes(5))
        #expect(script.state == .established)
    }

    @Test("RFC 6298 / RFC 9293 3.8.1: our SYN is retransmitted after 1 s with the same ISS")
    func synRetransmitted() throws {
        script.advance(by: 990 * ConformanceScript.millisecond)
        script.expectNothing()
        script.advance(by: 20 * ConformanceScript.millisecond)
        try script.expect(.segment(flags: .syn, seq: script.iss))
    }

    @Test("RFC 1122 4.2.3.5: after the SYN retries the connect fails with a timeout")
    func connectTimesOut() throws {
        let (script, _) = try ConformanceScript.connecting { $0.synRetries = 2 }
        script.advance(by: 8 * ConformanceScript.second, step: 100 * ConformanceScript.millisecond)
        #expect(script.takeSent().map(\.segment.flags) == [.syn, .syn])
        #expect(script.flowEvents == [.connectFailed(flow: script.flow!, opaque: 0, context: 0, reason: .timedOut)])
    }

    @Test("RFC 7323 2.3 SYN-SENT: a window-scale shift of 15 in the SYN-ACK is used as 14")
    func windowScaleClampedActive() throws {
        let (script, _) = try ConformanceScript.connecting { $0.transmitRingSize = 64 * 1024 }
        try script.peerSendsSYNACK(offer: .init(windowScale: 15), window: 65535)
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1, window: 1)
        try script.applicationSends(ConformanceScript.bytes(20_000))
        #expect(script.takeSent().map(\.payload.count).reduce(0, +) == 16_384)
    }
}
