import FlexWire
import Testing

/// RFC 7323: timestamps (§3, §4.3 TS.Recent), PAWS (§5, issue 8 item 8) and window scaling (§2).
@Suite("Conformance: RFC 7323 timestamps and PAWS")
struct TimestampTests {
    let script: ConformanceScript
    let peer: SequenceNumber
    let our: SequenceNumber
    let data = ConformanceScript.bytes(14)

    init() throws { (script, peer, our) = try ConformanceScript.establishedWithNumbers(offer: .init(timestamps: true)) }

    private func timestamps(_ value: UInt32) -> TCPOptions {
        TCPOptions(timestamps: TCPTimestamps(value: value, echoReply: script.lastTimestampSeen))
    }

    @Test("RFC 7323 3.2: our ACK carries TSval (our clock, µs) and TSecr = the peer's TSval")
    func ackEchoesTimestamp() throws {
        try script.send(.ack, seq: peer, ack: our, options: timestamps(2000), payload: data)
        let ack = try script.expect(.segment(flags: .ack, seq: our, ack: peer + 14, timestampEcho: 2000))
        #expect(ack.segment.options.timestamps?.value == UInt32(truncatingIfNeeded: script.now / 1000))
    }

    @Test("RFC 7323 4.3: an out-of-order segment does not update TS.Recent; the in-order one does")
    func outOfOrderDoesNotUpdateRecent() throws {
        try script.send(.ack, seq: peer + 7, ack: our, options: timestamps(5000), payload: Array(data[7...]))
        try script.expect(.segment(flags: .ack, ack: peer, timestampEcho: 1000))
        try script.send(.ack, seq: peer, ack: our, options: timestamps(1500), payload: Array(data[..<7]))
        try script.expect(.segment(flags: .ack, ack: peer + 14, timestampEcho: 1500))
        #expect(script.delivered == data)
    }

    @Test("RFC 7323 5.3: a segment with TSval equal to TS.Recent passes PAWS")
    func equalTimestampAccepted() throws {
        try script.send(.ack, seq: peer, ack: our, options: timestamps(1000), payload: data)
        try script.expect(.segment(flags: .ack, ack: peer + 14, timestampEcho: 1000))
        #expect(script.delivered == data)
    }

    @Test("Issue 8 item 8 / RFC 7323 5.3: PAWS: data with TSval older than TS.Recent is dropped and answered with an ACK")
    func pawsDropsOldTimestamp() throws {
        try script.send(.ack, seq: peer, ack: our, options: timestamps(999), payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer, timestampEcho: 1000))
        #expect(script.delivered.isEmpty)
    }

    @Test("Issue 8 item 8 / RFC 7323 5.3: PAWS: a pure ACK with an old TSval is dropped and answered with an ACK")
    func pawsDropsOldPureAck() throws {
        try script.send(.ack, seq: peer, ack: our, options: timestamps(1000 &- 0x1000))
        try script.expect(.segment(flags: .ack, seq: our, ack: peer, timestampEcho: 1000))
    }

    @Test("RFC 7323 5.2: PAWS compares TSvals modulo 2^32: with TS.Recent just below 2^32, a wrapped TSval is newer")
    func pawsWrap() throws {
        let script = try ConformanceScript.listening()
        script.peerTimestamp = 0xFFFF_FF00
        try script.peerSendsSYN(offer: .init(timestamps: true))
        try script.peerCompletesHandshake()
        script.peerTimestamp = 0x10
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1, payload: data)
        try script.expect(.segment(flags: .ack, ack: script.irs + 15, timestampEcho: 0x10))
        #expect(script.delivered == data)
    }

    @Test("RFC 7323 5.5: after more than 24 days idle, TS.Recent is invalid: an old TSval is accepted")
    func pawsIdleRule() throws {
        script.advance(by: 25 * 24 * 3600 * ConformanceScript.second, step: 3600 * ConformanceScript.second)
        _ = script.takeSent()
        try script.send(.ack, seq: peer, ack: our, options: timestamps(5), payload: data)
        try script.expect(.segment(flags: .ack, seq: our, ack: peer + 14))
        #expect(script.delivered == data)
    }

    @Test("RFC 7323 5.3 R? (Linux): an RST is not subject to PAWS: an exact RST with an old TSval aborts")
    func resetBypassesPaws() throws {
        try script.send(.rst, seq: peer, options: timestamps(1))
        script.expectNothing()
        #expect(script.state == nil)
    }
}

/// RFC 7323 §2: window scaling.
@Suite("Conformance: RFC 7323 window scaling")
struct WindowScaleTests {
    @Test("RFC 7323 2.3: a window-scale shift of 15 in the SYN is used as 14")
    func shiftClampedPassive() throws {
        let script = try ConformanceScript.listening { $0.transmitRingSize = 64 * 1024 }
        try script.peerSendsSYN(offer: .init(windowScale: 15))
        try script.peerCompletesHandshake(window: 1)
        try script.applicationSends(ConformanceScript.bytes(20_000))
        #expect(script.takeSent().map(\.payload.count).reduce(0, +) == 16_384)
    }

    @Test("RFC 7323 2.3: a shift of 14 scales the peer's window by 2^14")
    func shiftFourteen() throws {
        let script = try ConformanceScript.listening { $0.transmitRingSize = 64 * 1024 }
        try script.peerSendsSYN(offer: .init(windowScale: 14))
        try script.peerCompletesHandshake(window: 1)
        try script.applicationSends(ConformanceScript.bytes(20_000))
        #expect(script.takeSent().map(\.payload.count).reduce(0, +) == 16_384)
    }

    @Test("RFC 7323 2.2: our SYN-ACK window is unscaled; later ACKs are scaled by our shift (3 for a 256 KiB ring)")
    func ourWindowScaled() throws {
        let script = try ConformanceScript.listening { $0.receiveRingSize = 256 * 1024 }
        let synAck = try script.peerSendsSYN(offer: .init(windowScale: 7))
        #expect(synAck.segment.window == 65535 && synAck.segment.options.windowScale == 3)
        try script.peerCompletesHandshake()
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1, payload: ConformanceScript.bytes(100))
        // Sent at the round's end (a held ACK), after the application read the 100 bytes: the whole ring, scaled.
        try script.expect(.segment(flags: .ack, ack: script.irs + 101, window: UInt16((256 * 1024) >> 3)))
    }

    @Test("RFC 7323 2.2: without the peer's window-scale option we do not scale: the window saturates at 65535")
    func noScalingWithoutPeerOption() throws {
        let script = try ConformanceScript.listening { $0.receiveRingSize = 256 * 1024 }
        let synAck = try script.peerSendsSYN()
        #expect(synAck.segment.options.windowScale == nil)
        try script.peerCompletesHandshake()
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 1, payload: ConformanceScript.bytes(100))
        try script.expect(.segment(flags: .ack, ack: script.irs + 101, window: 65535))
    }

    @Test("RFC 7323 2.2: without window scaling the peer's window field is used as is")
    func peerWindowUnscaled() throws {
        let script = try ConformanceScript.established(window: 1000) { $0.transmitRingSize = 64 * 1024 }
        try script.applicationSends(ConformanceScript.bytes(5000))
        #expect(script.takeSent().map(\.payload.count).reduce(0, +) == 1000)
    }
}
