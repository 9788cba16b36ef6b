import FlexWire
import Testing

/// RFC 9293 §3.10.7.4 and RFC 6191 in TIME-WAIT (1 s here), issue 8 items 3 and 4. Linux's
/// tcp_timewait_state_process answers everything but an RST or a bare in-window ACK with an ACK
/// of RCV.NXT and restarts the timer.
@Suite("Conformance: TIME-WAIT")
struct TimeWaitTests {
    let script: ConformanceScript
    init() throws { script = try ConformanceScript.timeWait() }

    @Test("RFC 9293 3.10.7.4 TIME-WAIT: a retransmitted FIN is ACKed again and restarts the 2 MSL timer")
    func retransmittedFinRestartsTimer() throws {
        script.advance(by: 600 * ConformanceScript.millisecond)
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 2)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
        script.advance(by: 600 * ConformanceScript.millisecond)
        #expect(script.state == .timeWait)
        script.advance(by: 500 * ConformanceScript.millisecond)
        #expect(script.state == nil)
    }

    @Test("RFC 9293 3.10.7.4 TIME-WAIT: after 2 MSL the connection is gone and a segment for it gets RST")
    func expires() throws {
        script.advance(by: 1100 * ConformanceScript.millisecond)
        #expect(script.state == nil)
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 2)
        try script.expect(.segment(flags: .rst, seq: script.iss + 2))
    }

    @Test("RFC 1337 (Linux only with tcp_rfc1337=1) TIME-WAIT: an RST is ignored; the 4-tuple stays reserved")
    func resetIgnored() throws {
        try script.send(.rst, seq: script.irs + 2)
        script.expectNothing()
        #expect(script.state == .timeWait)
    }

    @Test("Issue 8 items 3-4 (Linux: ACK of RCV.NXT) TIME-WAIT: text after the FIN is not delivered and RCV.NXT stays at FIN+1")
    func dataAfterFin() throws {
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 2, payload: ConformanceScript.bytes(14))
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
        #expect(script.delivered.isEmpty)
    }

    @Test("Issue 8 item 4: after text beyond the FIN, a retransmitted FIN is still ACKed with ACK=FIN+1")
    func finAfterDataAfterFin() throws {
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 2, payload: ConformanceScript.bytes(14))
        _ = script.takeSent()
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 2)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
    }

    @Test("RFC 5961 4.2 / Linux TIME-WAIT: a SYN below RCV.NXT (an old duplicate) gets an ACK of RCV.NXT")
    func oldSynGetsAck() throws {
        try script.send(.syn, seq: script.irs)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
        #expect(script.state == .timeWait)
    }

    @Test("Issue 8 item 4 / RFC 6191 / RFC 9293 3.10.7.4: a new SYN above RCV.NXT in TIME-WAIT opens a new connection (SYN-ACK)")
    func newSynOpensConnection() throws {
        let newIRS = script.irs + 100_000
        try script.send(.syn, seq: newIRS, options: TCPOptions(maximumSegmentSize: 1460))
        try script.expect(.segment(flags: [.syn, .ack], ack: newIRS + 1))
    }

    @Test("Issue 8 item 4 / RFC 6191: after 'after text beyond FIN', a new SYN is judged against the FIN's RCV.NXT")
    func newSynAfterDataAfterFin() throws {
        try script.send(.ack, seq: script.irs + 2, ack: script.iss + 2, payload: ConformanceScript.bytes(14))
        _ = script.takeSent()
        try script.send(.syn, seq: script.irs + 5)
        let answer = try #require(script.takeSent().first)
        #expect(answer.segment.flags != .ack || answer.segment.acknowledgmentNumber == script.irs + 2,
                "never an ACK with a RCV.NXT moved past the FIN: \(answer)")
    }
}
