import FlexWire
import Testing

/// RFC 9293 §3.10.7.4 in the states reached by closing: FIN-WAIT-1, FIN-WAIT-2, CLOSING, CLOSE-WAIT
/// and LAST-ACK (TIME-WAIT has its own suite). Nothing was exchanged before the FINs, so the
/// peer's FIN sits at IRS+1 and ours at ISS+1.
@Suite("Conformance: FIN-WAIT-1, FIN-WAIT-2, CLOSING, CLOSE-WAIT, LAST-ACK")
struct ClosingStateTests {
    let data = ConformanceScript.bytes(14)

    // MARK: FIN-WAIT-1

    @Test("RFC 9293 3.10.7.4 FIN-WAIT-1: the ACK of our FIN moves to FIN-WAIT-2; the application is not told 'closed' yet")
    func finWait1AckOfFin() throws {
        let script = try ConformanceScript.finWait2()
        #expect(!script.flowEvents.contains { if case .closed = $0 { true } else { false } })
    }

    @Test("RFC 9293 3.10.7.4 FIN-WAIT-1: data is still received and ACKed (SEQ=ISS+2, past our FIN)")
    func finWait1ReceivesData() throws {
        let script = try ConformanceScript.finWait1()
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1, payload: data)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 15))
        #expect(script.delivered == data && script.state == .finWait1)
    }

    @Test("RFC 9293 3.10.7.4 FIN-WAIT-1: a FIN that also ACKs our FIN gets ACK and goes to TIME-WAIT")
    func finWait1FinAck() throws {
        let script = try ConformanceScript.finWait1()
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 2)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
        #expect(script.state == .timeWait)
        #expect(script.flowEvents.suffix(2) == [.peerClosed(flow: script.flow!, opaque: 0, context: 0), .closed(flow: script.flow!, opaque: 0, context: 0)])
    }

    @Test("RFC 9293 3.10.7.4 FIN-WAIT-1: a crossing FIN gets ACK; CLOSING; the ACK of our FIN then gives TIME-WAIT")
    func finWait1SimultaneousClose() throws {
        let script = try ConformanceScript.closing()
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 2)
        script.expectNothing()
        #expect(script.state == .timeWait)
    }

    @Test("RFC 6298 / RFC 9293 3.10.7.4 FIN-WAIT-1: an unacknowledged FIN is retransmitted after the RTO")
    func finWait1FinRetransmitted() throws {
        let script = try ConformanceScript.finWait1()
        script.advance(by: 1100 * ConformanceScript.millisecond, step: 50 * ConformanceScript.millisecond)
        try script.expect(.segment(flags: [.fin, .psh, .ack], seq: script.iss + 1, ack: script.irs + 1))
    }

    @Test("RFC 5961 3.2 FIN-WAIT-1: RST at RCV.NXT aborts")
    func finWait1Reset() throws {
        let script = try ConformanceScript.finWait1()
        try script.send(.rst, seq: script.irs + 1)
        script.expectNothing()
        #expect(script.state == nil)
    }

    @Test("RFC 5961 4.2 FIN-WAIT-1: SYN gets a challenge ACK")
    func finWait1Syn() throws {
        let script = try ConformanceScript.finWait1()
        try script.send(.syn, seq: script.irs + 5)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 1))
    }

    // MARK: FIN-WAIT-2

    @Test("RFC 9293 3.10.7.4 FIN-WAIT-2: data is still received and delivered")
    func finWait2ReceivesData() throws {
        let script = try ConformanceScript.finWait2()
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 2, payload: data)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 15))
        #expect(script.delivered == data)
    }

    @Test("RFC 9293 3.10.7.4 FIN-WAIT-2: the peer's FIN gets ACK; TIME-WAIT; the application sees end of stream and closed")
    func finWait2Fin() throws {
        let script = try ConformanceScript.timeWait()
        #expect(script.flowEvents.suffix(2) == [.peerClosed(flow: script.flow!, opaque: 0, context: 0), .closed(flow: script.flow!, opaque: 0, context: 0)])
    }

    @Test("RFC 5961 3.2 FIN-WAIT-2: RST in the window but not at RCV.NXT gets a challenge ACK")
    func finWait2ResetChallenged() throws {
        let script = try ConformanceScript.finWait2()
        try script.send(.rst, seq: script.irs + 50)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 1))
        #expect(script.state == .finWait2)
    }

    @Test("Issue 8 item 1 / RFC 5961 5.2 FIN-WAIT-2: data with SEG.ACK beyond SND.NXT is dropped and answered with an ACK")
    func finWait2AckBeyond() throws {
        let script = try ConformanceScript.finWait2()
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 10, payload: data)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 1))
        #expect(script.delivered.isEmpty)
    }

    // MARK: CLOSING

    @Test("Issue 8 item 3 (Linux: dropped, no ACK) CLOSING: text after the peer's FIN is ignored")
    func closingDataAfterFin() throws {
        let script = try ConformanceScript.closing()
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 1, payload: data)
        script.expectNothing()
        #expect(script.delivered.isEmpty && script.state == .closing)
    }

    @Test("RFC 9293 3.10.7.4 CLOSING: a retransmitted FIN is acknowledged again")
    func closingRetransmittedFin() throws {
        let script = try ConformanceScript.closing()
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 1)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
    }

    @Test("RFC 9293 3.10.7.4 CLOSING: a retransmitted FIN that acknowledges our FIN is ACKed and gives TIME-WAIT at once")
    func closingRetransmittedFinAcknowledgesOurs() throws {
        let script = try ConformanceScript.closing()
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 2)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
        #expect(script.state == .timeWait)
    }

    // MARK: CLOSE-WAIT

    @Test("Issue 8 item 3 (Linux: dropped, no ACK) CLOSE-WAIT: text after the peer's FIN is ignored, RCV.NXT stays")
    func closeWaitDataAfterFin() throws {
        let script = try ConformanceScript.closeWait()
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 1, payload: data)
        script.expectNothing()
        #expect(script.delivered.isEmpty)
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1)
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: script.irs + 2))
    }

    @Test("RFC 9293 3.10.7.4 CLOSE-WAIT: a retransmitted FIN is acknowledged again (ACK=FIN+1)")
    func closeWaitRetransmittedFin() throws {
        let script = try ConformanceScript.closeWait()
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 1)
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: script.irs + 2))
        #expect(script.flowEvents.filter { if case .peerClosed = $0 { true } else { false } }.count == 1)
    }

    @Test("RFC 9293 3.10.7.4 CLOSE-WAIT: we still send data")
    func closeWaitSends() throws {
        let script = try ConformanceScript.closeWait()
        try script.applicationSends(data)
        try script.expect(.segment(flags: [.ack, .psh], seq: script.iss + 1, ack: script.irs + 2, payload: data))
    }

    @Test("RFC 5961 3.2 CLOSE-WAIT: RST at RCV.NXT aborts")
    func closeWaitReset() throws {
        let script = try ConformanceScript.closeWait()
        try script.send(.rst, seq: script.irs + 2)
        script.expectNothing()
        #expect(script.state == nil)
        #expect(script.flowEvents.last == .aborted(flow: script.flow!, opaque: 0, context: 0, reason: .resetByPeer))
    }

    @Test("RFC 5961 4.2 CLOSE-WAIT: SYN gets a challenge ACK")
    func closeWaitSyn() throws {
        let script = try ConformanceScript.closeWait()
        try script.send(.syn, seq: script.irs)
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: script.irs + 2))
    }

    // MARK: LAST-ACK

    @Test("RFC 9293 3.10.7.4 LAST-ACK: the ACK of our FIN closes; the application sees closed; later segments get RST")
    func lastAckClosed() throws {
        let script = try ConformanceScript.lastAck()
        let flow = try #require(script.flow)
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 2)
        script.expectNothing()
        #expect(script.state == nil)
        #expect(script.flowEvents.last == .closed(flow: flow, opaque: 0, context: 0))
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 2)
        try script.expect(.segment(flags: .rst, seq: script.iss + 2))
    }

    @Test("Issue 8 item 3 (Linux: dropped, no ACK) LAST-ACK: text after the peer's FIN is ignored, never delivered")
    func lastAckDataAfterFin() throws {
        let script = try ConformanceScript.lastAck()
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 1, payload: data)
        script.expectNothing()
        #expect(script.delivered.isEmpty && script.state == .lastAck)
    }

    @Test("RFC 6298 / RFC 9293 3.10.7.4 LAST-ACK: an unacknowledged FIN is retransmitted after the RTO")
    func lastAckFinRetransmitted() throws {
        let script = try ConformanceScript.lastAck()
        script.advance(by: 1100 * ConformanceScript.millisecond, step: 50 * ConformanceScript.millisecond)
        try script.expect(.segment(flags: [.fin, .psh, .ack], seq: script.iss + 1, ack: script.irs + 2))
    }

    @Test("RFC 9293 3.10.7.4 LAST-ACK: RST at RCV.NXT ends the connection")
    func lastAckReset() throws {
        let script = try ConformanceScript.lastAck()
        try script.send(.rst, seq: script.irs + 2)
        script.expectNothing()
        #expect(script.state == nil)
    }
}
