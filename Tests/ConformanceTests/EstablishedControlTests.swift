import FlexWire
import Testing

/// RFC 5961 §3–5 and RFC 9293's RST, SYN and ACK checks in ESTABLISHED; issue 8 items 1, 2 and 7.
@Suite("Conformance: ESTABLISHED RST, SYN and ACK checks")
struct EstablishedControlTests {
    let script: ConformanceScript
    let peer: SequenceNumber
    let our: SequenceNumber
    let data = ConformanceScript.bytes(14)

    init() throws { (script, peer, our) = try ConformanceScript.establishedWithNumbers() }

    @Test("RFC 5961 3.2: RST with SEQ=RCV.NXT aborts the connection (reset by peer), no answer")
    func exactResetAborts() throws {
        let flow = try #require(script.flow)
        try script.send(.rst, seq: peer)
        script.expectNothing()
        #expect(script.state == nil)
        #expect(script.flowEvents.last == .aborted(flow: flow, opaque: 0, context: 0, reason: .resetByPeer))
    }

    @Test("RFC 5961 3.2: RST|ACK with SEQ=RCV.NXT aborts the connection")
    func exactResetAckAborts() throws {
        try script.send([.rst, .ack], seq: peer, ack: our)
        script.expectNothing()
        #expect(script.state == nil)
    }

    @Test("RFC 5961 3.2: RST in the window but not at RCV.NXT gets a challenge ACK SEQ=SND.NXT ACK=RCV.NXT")
    func inWindowResetChallenged() throws {
        try script.send(.rst, seq: peer + 100)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.state == .established)
    }

    @Test("RFC 5961 3.2: RST beyond the window is dropped silently")
    func resetBeyondWindowIgnored() throws {
        try script.send(.rst, seq: peer + 16_384)
        script.expectNothing()
        #expect(script.state == .established)
    }

    @Test("RFC 5961 3.2: RST below RCV.NXT is dropped silently")
    func oldResetIgnored() throws {
        try script.send(.rst, seq: peer - 1)
        script.expectNothing()
        #expect(script.state == .established)
    }

    @Test("RFC 5961 4.2: SYN in the window gets a challenge ACK; the connection stays")
    func synInWindowChallenged() throws {
        try script.send(.syn, seq: peer + 10)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.state == .established)
    }

    @Test("RFC 5961 4.2: SYN outside the window (the old IRS) gets a challenge ACK")
    func synOutsideWindowChallenged() throws {
        try script.send(.syn, seq: script.irs)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
    }

    @Test("RFC 5961 4.2: SYN|ACK on an established connection gets a challenge ACK")
    func synAckChallenged() throws {
        try script.send([.syn, .ack], seq: peer, ack: our)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.state == .established)
    }

    @Test("RFC 5961 7 / CVE-2016-5696: the per-second challenge-ACK budget is not a fixed count")
    func challengeBudgetVaries() throws {
        let script = try ConformanceScript.established { $0.challengeAcknowledgmentsPerSecond = 4 }
        let peer = script.irs + 1
        var budgets: Set<Int> = []
        for _ in 0..<12 {
            for offset in 1...12 { try script.send(.rst, seq: peer + UInt32(offset)) }
            budgets.insert(script.takeSent().count)
            script.advance(by: ConformanceScript.second, step: ConformanceScript.second)
        }
        #expect(budgets.count > 1 && budgets.allSatisfy { (2..<6).contains($0) }, "\(budgets)")
        #expect(script.state == .established)
    }

    @Test("RFC 5961 7: challenge ACKs are rate-limited per second, to a budget drawn at random (Linux, CVE-2016-5696)")
    func challengeRateLimit() throws {
        let script = try ConformanceScript.established { $0.challengeAcknowledgmentsPerSecond = 4 }
        let peer = script.irs + 1
        for offset in 1...12 { try script.send(.rst, seq: peer + UInt32(offset)) }
        #expect((2..<6).contains(script.takeSent().count))
        script.advance(by: ConformanceScript.second, step: ConformanceScript.second)
        try script.send(.syn, seq: peer)
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: peer))
    }

    @Test("Issue 8 item 1 / RFC 5961 5.2: data with SEG.ACK = SND.NXT+1 is dropped and answered with an ACK")
    func ackJustBeyondSndNxt() throws {
        try script.send(.ack, seq: peer, ack: our + 1, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.delivered.isEmpty)
    }

    @Test("Issue 8 item 1 / RFC 5961 5.2: data with SEG.ACK = SND.NXT+100000 is dropped and answered with an ACK")
    func ackFarBeyondSndNxt() throws {
        try script.send(.ack, seq: peer, ack: our + 100_000, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.delivered.isEmpty)
    }

    @Test("Issue 8 item 1 / RFC 5961 5.2: data with SEG.ACK < SND.UNA - MAX.SND.WND is dropped and answered with an ACK")
    func ackTooOld() throws {
        try script.send(.ack, seq: peer, ack: our - 65_536, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
        #expect(script.delivered.isEmpty)
    }

    @Test("Issue 8 item 1 / RFC 9293 3.10.7.4: a pure ACK beyond SND.NXT is answered with an ACK")
    func pureAckBeyondSndNxt() throws {
        try script.send(.ack, seq: peer, ack: our + 5000)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer))
    }

    @Test("RFC 5961 5.2: SEG.ACK = SND.UNA - MAX.SND.WND is still acceptable (an old duplicate ACK): data delivered")
    func ackAtOldestAcceptable() throws {
        try script.send(.ack, seq: peer, ack: our - 65_535, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 14))
        #expect(script.delivered == data)
    }

    @Test("RFC 9293 3.10.7.4: a duplicate ACK (SEG.ACK < SND.UNA, within MAX.SND.WND) is ignored; its data delivered")
    func slightlyOldAckData() throws {
        try script.send(.ack, seq: peer, ack: our - 10, payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 14))
        #expect(script.delivered == data)
    }

    @Test("RFC 9293 3.10.7.4: an ACK of our data frees it: no retransmission after the RTO")
    func ackedDataNotRetransmitted() throws {
        try script.applicationSends(data)
        try script.expect(.segment(flags: [.ack, .psh], seq: our, ack: peer, payload: data))
        try script.send(.ack, seq: peer, ack: our + 14)
        script.advance(by: 2 * ConformanceScript.second, step: 50 * ConformanceScript.millisecond)
        script.expectNothing()
    }

    @Test("RFC 6298 5.4: unacknowledged data is retransmitted after the initial RTO (1 s) from SND.UNA")
    func unackedDataRetransmitted() throws {
        try script.applicationSends(data)
        try script.expect(.segment(flags: [.ack, .psh], seq: our, ack: peer, payload: data))
        script.advance(by: 1100 * ConformanceScript.millisecond, step: 50 * ConformanceScript.millisecond)
        try script.expect(.segment(flags: [.ack, .psh], seq: our, ack: peer, payload: data))
    }

    @Test("RFC 9293 3.8.6: we never send beyond the peer's window (100 bytes offered, 1000 queued)")
    func peerWindowRespected() throws {
        let script = try ConformanceScript.established(window: 100)
        try script.applicationSends(ConformanceScript.bytes(1000))
        #expect(script.takeSent().map(\.payload.count).reduce(0, +) == 100)
    }

    @Test("Issue 8 item 7 / RFC 1122 3.2.1.8: data in a datagram with IPv4 options is delivered and ACKed")
    func ipOptionsIgnored() throws {
        try script.send(.ack, seq: peer, ack: our, payload: data, ipOptions: [1, 1, 1, 0])
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 14))
        #expect(script.delivered == data)
    }

    @Test("Issue 8 item 7 / RFC 1122 3.3.2: data in two IPv4 fragments is reassembled and delivered")
    func fragmentsReassembled() throws {
        let frame = try script.frame(.ack, seq: peer, ack: our, payload: ConformanceScript.bytes(40))
        for fragment in CraftedFrame.fragments(of: frame, splitAt: [24]) { script.sendFrame(fragment) }
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 40))
        #expect(script.delivered == ConformanceScript.bytes(40))
    }

    @Test("Issue 8 item 7 / RFC 1122 3.3.2: fragments arriving last-first are reassembled and delivered")
    func fragmentsReversed() throws {
        let frame = try script.frame(.ack, seq: peer, ack: our, payload: ConformanceScript.bytes(40))
        for fragment in CraftedFrame.fragments(of: frame, splitAt: [16, 40]).reversed() { script.sendFrame(fragment) }
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 40))
        #expect(script.delivered == ConformanceScript.bytes(40))
    }

    @Test("Issue 8 item 2: data in an Ethernet broadcast frame is not ours: not delivered, no answer")
    func broadcastFrameIgnored() throws {
        try script.send(.ack, seq: peer, ack: our, payload: data, ethernetDestination: .broadcast)
        script.expectNothing()
        #expect(script.delivered.isEmpty)
    }

    @Test("Issue 8 item 2: data in an Ethernet multicast frame is not ours: not delivered, no answer")
    func multicastFrameIgnored() throws {
        try script.send(.ack, seq: peer, ack: our, payload: data, ethernetDestination: MACAddress(0x01, 0x00, 0x5e, 0, 0, 9))
        script.expectNothing()
        #expect(script.delivered.isEmpty)
    }

    @Test("Issue 8 item 2: data in a frame for another host's MAC is not ours: not delivered, no answer")
    func otherUnicastFrameIgnored() throws {
        try script.send(.ack, seq: peer, ack: our, payload: data, ethernetDestination: MACAddress(0x02, 0, 0, 0, 0x77, 0x77))
        script.expectNothing()
        #expect(script.delivered.isEmpty)
    }
}
