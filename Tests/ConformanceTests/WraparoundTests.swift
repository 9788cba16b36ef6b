import FlexWire
import Testing

/// RFC 9293 §3.4: sequence numbers are compared modulo 2^32; a peer whose IRS is near 2^32 wraps
/// within the first bytes.
@Suite("Conformance: sequence-number wraparound")
struct WraparoundTests {
    let script: ConformanceScript
    let peer: SequenceNumber
    let our: SequenceNumber

    init() throws { (script, peer, our) = try ConformanceScript.establishedWithNumbers(irs: SequenceNumber(0xFFFF_FFF0)) }

    @Test("RFC 9293 3.4: data crossing 2^32 is delivered in order and ACKed with the wrapped number")
    func dataAcrossWrap() throws {
        let stream = ConformanceScript.bytes(32)
        try script.send(.ack, seq: peer, ack: our, payload: stream)
        try script.expect(.segment(flags: .ack, seq: our, ack: SequenceNumber(0x11)))
        #expect(script.delivered == stream)
    }

    @Test("RFC 9293 3.4: out-of-order data after the wrap waits for the gap before the wrap")
    func outOfOrderAcrossWrap() throws {
        let stream = ConformanceScript.bytes(32)
        try script.send(.ack, seq: peer + 16, ack: our, payload: Array(stream[16...]))
        try script.expect(.segment(flags: .ack, ack: peer))
        try script.send(.ack, seq: peer, ack: our, payload: Array(stream[..<16]))
        try script.expect(.segment(flags: .ack, ack: SequenceNumber(0x11)))
        #expect(script.delivered == stream)
    }

    @Test("RFC 9293 3.10.7.4: after the wrap, a retransmission from before it is a duplicate: ACK, not delivered again")
    func duplicateAcrossWrap() throws {
        let stream = ConformanceScript.bytes(32)
        try script.send(.ack, seq: peer, ack: our, payload: stream)
        try script.expect(.segment(flags: .ack, ack: SequenceNumber(0x11)))
        try script.send(.ack, seq: peer, ack: our, payload: Array(stream[..<10]))
        try script.expect(.segment(flags: .ack, seq: our, ack: SequenceNumber(0x11)))
        #expect(script.delivered == stream)
    }

    @Test("RFC 5961 3.2: after the wrap, an RST at the wrapped RCV.NXT aborts and one just below is ignored")
    func resetAfterWrap() throws {
        try script.send(.ack, seq: peer, ack: our, payload: ConformanceScript.bytes(32))
        _ = script.takeSent()
        try script.send(.rst, seq: SequenceNumber(0x10))
        script.expectNothing()
        #expect(script.state == .established)
        try script.send(.rst, seq: SequenceNumber(0x11))
        #expect(script.state == nil)
    }

    @Test("RFC 9293 3.4: a FIN at 2^32-1 is taken: ACK = 0")
    func finAtWrap() throws {
        let script = try ConformanceScript.established(irs: SequenceNumber(0xFFFF_FFFE))
        try script.send([.fin, .ack], seq: SequenceNumber(0xFFFF_FFFF), ack: script.iss + 1)
        try script.expect(.segment(flags: .ack, ack: SequenceNumber(0)))
        #expect(script.state == .closeWait)
    }

    @Test("RFC 9293 3.10.7.4: data beyond the window after the wrap is not acceptable: ACK RCV.NXT")
    func beyondWindowAcrossWrap() throws {
        try script.send(.ack, seq: peer + 16_384, ack: our, payload: ConformanceScript.bytes(8))
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.delivered.isEmpty)
    }
}
