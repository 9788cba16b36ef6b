import FlexWire
import Testing

/// RFC 9293 §3.10.7.4 in ESTABLISHED: the sequence-number acceptability table (first check),
/// text processing and the FIN. Receive window 16 KiB, unscaled; the application reads at once, so
/// an ACK for n new bytes advertises 16384 - n.
@Suite("Conformance: ESTABLISHED sequence checks and text")
struct EstablishedSequenceTests {
    let script: ConformanceScript
    /// The peer's next sequence number (our RCV.NXT) and ours (SND.NXT).
    let peer: SequenceNumber
    let our: SequenceNumber
    let data = ConformanceScript.bytes(14)

    init() throws { (script, peer, our) = try ConformanceScript.establishedWithNumbers() }

    @Test("RFC 9293 3.10.7.4: in-order data is delivered and ACKed: SEQ=SND.NXT ACK=RCV.NXT+LEN WIN=RCV.WND")
    func inOrderData() throws {
        try script.send([.ack, .psh], seq: peer, ack: our, payload: data)
        // The ACK of a short segment waits for the round's end (it may ride on an answer): by then
        // the application has read the 14 bytes, so RCV.WND is the whole ring again.
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 14, window: 16_384))
        #expect(script.delivered == data)
        script.expectNothing()
    }

    @Test("RFC 9293 3.10.7.4: a segment wholly below RCV.NXT is not acceptable: ACK RCV.NXT, nothing delivered again")
    func duplicateData() throws {
        try script.send(.ack, seq: peer, ack: our, payload: data)
        try script.expect(.segment(flags: .ack, ack: peer + 14))
        try script.send(.ack, seq: peer, ack: our, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 14))
        #expect(script.delivered == data)
    }

    @Test("RFC 9293 3.10.7.4: a segment overlapping RCV.NXT is trimmed: only the new bytes are delivered")
    func overlappingData() throws {
        let stream = ConformanceScript.bytes(20)
        try script.send(.ack, seq: peer, ack: our, payload: Array(stream[0..<10]))
        try script.expect(.segment(flags: .ack, ack: peer + 10))
        try script.send(.ack, seq: peer + 5, ack: our, payload: Array(stream[5..<20]))
        try script.expect(.segment(flags: .ack, ack: peer + 20))
        #expect(script.delivered == stream)
    }

    @Test("RFC 9293 3.10.7.4: data at RCV.NXT+RCV.WND (beyond the window) gets ACK RCV.NXT and is not delivered")
    func beyondWindow() throws {
        try script.send(.ack, seq: peer + 16_384, ack: our, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.delivered.isEmpty)
    }

    @Test("RFC 9293 3.10.7.4: out-of-order data in the window gets a duplicate ACK; the gap filled, both are delivered")
    func outOfOrderThenFilled() throws {
        let stream = ConformanceScript.bytes(20)
        try script.send(.ack, seq: peer + 10, ack: our, payload: Array(stream[10..<20]))
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.delivered.isEmpty)
        try script.send(.ack, seq: peer, ack: our, payload: Array(stream[0..<10]))
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 20))
        #expect(script.delivered == stream)
    }

    @Test("RFC 2018 4: with SACK, the duplicate ACK for out-of-order data carries its SACK block")
    func outOfOrderSack() throws {
        let script = try ConformanceScript.established(offer: .init(selectiveAcknowledgment: true))
        let peer = script.irs + 1
        try script.send(.ack, seq: peer + 10, ack: script.iss + 1, payload: ConformanceScript.bytes(10))
        try script.expect(.segment(flags: .ack, ack: peer, options: TCPOptions(sackBlocks: [TCPSACKBlock(leftEdge: peer + 10,
                                                                                                         rightEdge: peer + 20)])))
    }

    @Test("RFC 9293 3.10.7.4: an empty ACK at RCV.NXT is acceptable and needs no answer")
    func emptyAckNoAnswer() throws {
        try script.send(.ack, seq: peer, ack: our)
        script.expectNothing()
    }

    @Test("RFC 1122 4.2.3.6: a keep-alive (SEQ=RCV.NXT-1, no data) gets ACK RCV.NXT")
    func keepAlive() throws {
        try script.send(.ack, seq: peer - 1, ack: our)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer, window: 16_384))
    }

    @Test("RFC 1122 4.2.3.6: a keep-alive with one garbage byte gets ACK RCV.NXT; the byte is not delivered")
    func keepAliveWithGarbage() throws {
        try script.send(.ack, seq: peer - 1, ack: our, payload: [0])
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.delivered.isEmpty)
    }

    @Test("RFC 9293 3.10.7.4 (Linux tcp_send_dupack): an empty segment beyond the window is not acceptable: ACK RCV.NXT")
    func emptyBeyondWindow() throws {
        try script.send(.ack, seq: peer + 100_000, ack: our)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
    }

    @Test("RFC 9293 3.10.7.4 (Linux tcp_validate_incoming): an unacceptable segment's ACK field is not processed")
    func outOfWindowAckIgnored() throws {
        try script.applicationSends(data)
        try script.expect(.segment(flags: [.ack, .psh], seq: our, ack: peer, payload: data))
        try script.send(.ack, seq: peer + 100_000, ack: our + 14)
        _ = script.takeSent()
        script.advance(by: 1100 * ConformanceScript.millisecond, step: 50 * ConformanceScript.millisecond)
        try script.expect(.segment(flags: [.ack, .psh], seq: our, ack: peer, payload: data))
    }

    @Test("RFC 9293 3.10.7.4: zero window: data at RCV.NXT is not acceptable: ACK with window 0, not delivered")
    func zeroWindowData() throws {
        try fillWindow()
        try script.send(.ack, seq: peer + 16_384, ack: our, payload: [42])
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 16_384, window: 0))
        #expect(script.delivered.count == 16_384)
    }

    @Test("RFC 1122 4.2.2.17: zero window: a window probe below RCV.NXT gets ACK with window 0")
    func zeroWindowProbe() throws {
        try fillWindow()
        try script.send(.ack, seq: peer + 16_383, ack: our)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 16_384, window: 0))
    }

    @Test("RFC 9293 3.8.6.2.2: when the application frees a closed window, a window update goes out")
    func windowUpdate() throws {
        try fillWindow()
        script.applicationReadsHeldBytes()
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 16_384, window: 16_384))
    }

    @Test("RFC 9293 3.10.7.4 / RFC 6093: URG data is delivered inline as plain data")
    func urgentIsPlainData() throws {
        try script.send([.ack, .urg], seq: peer, ack: our, payload: data, urgentPointer: 5)
        try script.expect(.segment(flags: .ack, ack: peer + 14))
        #expect(script.delivered == data)
    }

    @Test("RFC 9293 3.10.7.4: a segment without ACK is dropped; nothing delivered, nothing sent")
    func noAckDropped() throws {
        try script.send(.psh, seq: peer, payload: data)
        script.expectNothing()
        #expect(script.delivered.isEmpty)
    }

    @Test("RFC 9293 3.1: data with a bad checksum is dropped silently")
    func badChecksumDropped() throws {
        script.sendFrame(CraftedFrame.corruptingTCPChecksum(of: try script.frame(.ack, seq: peer, ack: our, payload: data)))
        script.expectNothing()
        #expect(script.delivered.isEmpty)
    }

    @Test("RFC 9293 3.10.7.4 eighth check: FIN at RCV.NXT gets ACK RCV.NXT+1; the application sees the end; CLOSE-WAIT")
    func finInOrder() throws {
        try script.send([.fin, .ack], seq: peer, ack: our)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 1))
        #expect(script.state == .closeWait)
        #expect(script.flowEvents.last == .peerClosed(flow: script.flow!, opaque: 0, context: 0))
    }

    @Test("RFC 9293 3.10.7.4: FIN with data: data delivered, ACK covers data and FIN")
    func finWithData() throws {
        try script.send([.fin, .ack, .psh], seq: peer, ack: our, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 15))
        #expect(script.delivered == data && script.state == .closeWait)
    }

    @Test("RFC 9293 3.10.7.4: FIN with data after a gap is held and taken once the gap fills")
    func finWithDataAfterGap() throws {
        try script.send([.fin, .ack], seq: peer + 7, ack: our, payload: Array(data[7...]))
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.state == .established)
        try script.send(.ack, seq: peer, ack: our, payload: Array(data[..<7]))
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 15))
        #expect(script.state == .closeWait && script.delivered == data)
    }

    @Test("RFC 9293 3.10.7.4 (SHOULD hold, not MUST): a bare FIN after a gap is not taken; its retransmission is")
    func bareFinAfterGap() throws {
        try script.send([.fin, .ack], seq: peer + 14, ack: our)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        try script.send(.ack, seq: peer, ack: our, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 14))
        #expect(script.state == .established)
        try script.send([.fin, .ack], seq: peer + 14, ack: our)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 15))
        #expect(script.state == .closeWait && script.delivered == data)
    }

    @Test("RFC 9293 3.10.7.4: FIN beyond the window is not taken: ACK RCV.NXT")
    func finBeyondWindow() throws {
        try script.send([.fin, .ack], seq: peer + 20_000, ack: our)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.state == .established)
    }

    /// The application stops reading and the peer fills our 16 KiB window; the last ACK shows window 0.
    private func fillWindow() throws {
        script.applicationReads = false
        var offset: UInt32 = 0
        while offset < 16_384 {
            let length = min(1460, 16_384 - offset)
            try script.send(.ack, seq: peer + offset, ack: our, payload: ConformanceScript.bytes(Int(length)))
            offset += length
            try script.expect(.segment(flags: .ack, ack: peer + offset, window: UInt16(16_384 - offset)))
        }
    }
}
