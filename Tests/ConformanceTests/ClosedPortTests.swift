import FlexWire
import Testing

/// RFC 9293 §3.10.7.1: segments to a port nobody listens on, and the RFC 1122 limits on answering.
@Suite("Conformance: CLOSED (no listener)")
struct ClosedPortTests {
    let script: ConformanceScript
    init() throws { script = try ConformanceScript() }

    @Test("RFC 9293 3.10.7.1 CLOSED: SYN gets RST|ACK with SEQ=0, ACK=SEG.SEQ+1")
    func synGetsReset() throws {
        try script.send(.syn, seq: 5000)
        try script.expect(.segment(flags: [.rst, .ack], seq: SequenceNumber(0), ack: SequenceNumber(5001)))
        script.expectNothing()
    }

    @Test("RFC 9293 3.10.7.1 CLOSED: SYN with data gets RST|ACK acknowledging SYN and data")
    func synWithDataGetsReset() throws {
        try script.send(.syn, seq: 5000, payload: ConformanceScript.bytes(10))
        try script.expect(.segment(flags: [.rst, .ack], seq: SequenceNumber(0), ack: SequenceNumber(5011)))
    }

    @Test("RFC 9293 3.10.7.1 CLOSED: ACK gets RST with SEQ=SEG.ACK and no ACK bit")
    func ackGetsReset() throws {
        try script.send(.ack, seq: 5000, ack: 777_777, payload: ConformanceScript.bytes(20))
        try script.expect(.segment(flags: .rst, seq: SequenceNumber(777_777)))
    }

    @Test("RFC 9293 3.10.7.1 CLOSED: FIN without ACK gets RST|ACK with ACK=SEG.SEQ+1")
    func finGetsReset() throws {
        try script.send(.fin, seq: 9000)
        try script.expect(.segment(flags: [.rst, .ack], seq: SequenceNumber(0), ack: SequenceNumber(9001)))
    }

    @Test("RFC 9293 3.10.7.1 CLOSED: data without ACK gets RST|ACK with ACK=SEG.SEQ+SEG.LEN")
    func dataWithoutAckGetsReset() throws {
        try script.send([], seq: 9000, payload: ConformanceScript.bytes(7))
        try script.expect(.segment(flags: [.rst, .ack], seq: SequenceNumber(0), ack: SequenceNumber(9007)))
    }

    @Test("RFC 9293 3.10.7.1 CLOSED: an RST is never answered (RST and RST|ACK)")
    func resetNotAnswered() throws {
        try script.send(.rst, seq: 1234)
        try script.send([.rst, .ack], seq: 1234, ack: 99)
        script.expectNothing()
    }

    @Test("RFC 1122 4.2.3.10: a SYN to the IPv4 broadcast address gets no RST")
    func synToBroadcastNotAnswered() throws {
        try script.send(.syn, seq: 5000, ethernetDestination: .broadcast, ipDestination: .broadcast)
        script.expectNothing()
    }

    @Test("RFC 1122 4.2.3.10: a SYN in an Ethernet broadcast frame gets no RST")
    func synInBroadcastFrameNotAnswered() throws {
        try script.send(.syn, seq: 5000, ethernetDestination: .broadcast)
        script.expectNothing()
    }

    @Test("RFC 1122 4.2.3.10: a SYN in an Ethernet multicast frame gets no RST")
    func synInMulticastFrameNotAnswered() throws {
        try script.send(.syn, seq: 5000, ethernetDestination: MACAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01))
        script.expectNothing()
    }

    @Test("RFC 1122 4.2.3.10: a SYN from a multicast or broadcast source address gets no RST")
    func synFromMulticastSourceNotAnswered() throws {
        try script.send(.syn, seq: 5000, ipSource: IPv4Address(224, 0, 0, 1))
        try script.send(.syn, seq: 5000, ipSource: .broadcast)
        try script.send(.syn, seq: 5000, ipSource: IPv4Address(198, 18, 0, 255))
        script.expectNothing()
    }

    @Test("RFC 9293 3.10.7.1 / 3.1: a segment with a bad checksum is dropped without an RST")
    func badChecksumDropped() throws {
        script.sendFrame(CraftedFrame.corruptingTCPChecksum(of: try script.frame(.syn, seq: 5000)))
        script.expectNothing()
    }

    @Test("RFC 9293 3.10.7.1: a frame for another host's IPv4 address gets no RST")
    func otherHostNotAnswered() throws {
        try script.send(.syn, seq: 5000, ipDestination: IPv4Address(198, 18, 0, 77))
        script.expectNothing()
    }
}
