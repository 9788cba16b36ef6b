import FlexWire
import Testing
@testable import FlexTCPCore

/// The common starting points of conformance scripts: a listener, the two opens, an established
/// connection (with or without options), and the states reached by closing.
///
/// Contract: each helper leaves nothing unexpected on the wire, sets `flow`, `iss` and `irs`, and
/// exchanges no data, so the peer's next sequence number is `irs + 1` (+1 after its FIN) and ours
/// is `iss + 1` (+1 after our FIN).
extension ConformanceScript {
    static let defaultIRS = SequenceNumber(1_000_000)
    /// The peer's port when we open actively.
    static let peerListeningPort: UInt16 = 5001

    /// What the peer offers in its SYN or SYN-ACK.
    struct PeerOffer {
        var maximumSegmentSize: UInt16? = 1460
        var windowScale: UInt8?
        var selectiveAcknowledgment = false
        var timestamps = false

        static let plain = PeerOffer()

        func options(timestampValue: UInt32, echo: UInt32) -> TCPOptions {
            TCPOptions(maximumSegmentSize: maximumSegmentSize, windowScale: windowScale, sackPermitted: selectiveAcknowledgment,
                       timestamps: timestamps ? TCPTimestamps(value: timestampValue, echoReply: echo) : nil)
        }
    }

    /// A stack listening on `localPort` with an accept backlog of `backlog`.
    static func listening(backlog: Int = 4, ringPairs: Int = 4,
                          _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> ConformanceScript {
        let script = try ConformanceScript(ringPairs: ringPairs, adjust)
        try script.slowPath.listen(port: script.localPort, backlog: backlog)
        return script
    }

    /// Passive open, first half: the peer's SYN with `offer` gets our SYN-ACK (ACK = SEQ + 1);
    /// records IRS and ISS and returns the SYN-ACK.
    @discardableResult
    func peerSendsSYN(seq: SequenceNumber = defaultIRS, offer: PeerOffer = .plain, window: UInt16 = 65535,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> SentSegment {
        irs = seq
        try send(.syn, seq: seq, window: window, options: offer.options(timestampValue: peerTimestamp, echo: 0),
                 sourceLocation: sourceLocation)
        let synAck = try expect(.segment(flags: [.syn, .ack], ack: seq + 1), sourceLocation: sourceLocation)
        iss = synAck.segment.sequenceNumber
        timestampsNegotiated = synAck.segment.options.timestamps != nil
        return synAck
    }

    /// Passive open, second half: the peer's ACK completes the handshake; the connection is accepted.
    func peerCompletesHandshake(window: UInt16 = 65535, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try send(.ack, seq: irs + 1, ack: iss + 1, window: window, sourceLocation: sourceLocation)
        let accepted: FlowIndex = try #require(slowPath.accept(port: localPort), "the handshake completed", sourceLocation: sourceLocation)
        flow = accepted
        expectNothing(sourceLocation: sourceLocation)
    }

    /// An established connection opened by the peer, with the options of `offer` negotiated.
    static func established(offer: PeerOffer = .plain, irs: SequenceNumber = defaultIRS, window: UInt16 = 65535,
                            ringPairs: Int = 4, _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> ConformanceScript {
        let script = try listening(ringPairs: ringPairs, adjust)
        try script.peerSendsSYN(seq: irs, offer: offer, window: window)
        try script.peerCompletesHandshake(window: window)
        return script
    }

    /// `established(offer:irs:)` with the numbers scripts start from: the peer's next sequence
    /// number (our RCV.NXT, IRS + 1) and ours (SND.NXT, ISS + 1).
    static func establishedWithNumbers(offer: PeerOffer = .plain, irs: SequenceNumber = defaultIRS) throws
        -> (script: ConformanceScript, peer: SequenceNumber, our: SequenceNumber) {
        let script = try established(offer: offer, irs: irs)
        return (script, script.irs + 1, script.iss + 1)
    }

    /// Active open, first half: the application connects and our SYN goes out (ARP answered on the
    /// way); records ISS and our ephemeral port and returns the SYN.
    static func connecting(_ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> (ConformanceScript, SentSegment) {
        let script = try ConformanceScript(adjust)
        script.remotePort = peerListeningPort
        script.flow = try script.slowPath.connect(to: peerAddress, port: peerListeningPort, now: script.now)
        script.step()
        let syn = try script.expect(.segment(flags: .syn))
        script.iss = syn.segment.sequenceNumber
        script.localPort = syn.segment.sourcePort
        return (script, syn)
    }

    /// Active open, second half: the peer's SYN-ACK with `offer` gets our ACK; established.
    func peerSendsSYNACK(seq: SequenceNumber = defaultIRS, offer: PeerOffer = .plain, window: UInt16 = 65535,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        irs = seq
        try send([.syn, .ack], seq: seq, ack: iss + 1, window: window,
                 options: offer.options(timestampValue: peerTimestamp, echo: lastTimestampSeen), sourceLocation: sourceLocation)
        timestampsNegotiated = offer.timestamps
        try expect(.segment(flags: .ack, seq: iss + 1, ack: seq + 1), sourceLocation: sourceLocation)
        #expect(state == .established, sourceLocation: sourceLocation)
    }

    /// Established, then the application closes: our FIN (SEQ = ISS + 1). FIN-WAIT-1.
    static func finWait1(offer: PeerOffer = .plain, _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> ConformanceScript {
        let script = try established(offer: offer, adjust)
        try script.applicationCloses()
        try script.expect(.segment(flags: [.fin, .psh, .ack], seq: script.iss + 1, ack: script.irs + 1))
        #expect(script.state == .finWait1)
        return script
    }

    /// FIN-WAIT-1, then the peer acknowledges our FIN. FIN-WAIT-2.
    static func finWait2(offer: PeerOffer = .plain, _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> ConformanceScript {
        let script = try finWait1(offer: offer, adjust)
        try script.send(.ack, seq: script.irs + 1, ack: script.iss + 2)
        script.expectNothing()
        #expect(script.state == .finWait2)
        return script
    }

    /// FIN-WAIT-1, then the peer's FIN crosses ours (it does not acknowledge ours): we ACK it. CLOSING.
    static func closing(offer: PeerOffer = .plain, _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> ConformanceScript {
        let script = try finWait1(offer: offer, adjust)
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 1)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
        #expect(script.state == .closing)
        return script
    }

    /// FIN-WAIT-2, then the peer's FIN: we ACK it. TIME-WAIT.
    static func timeWait(offer: PeerOffer = .plain, _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> ConformanceScript {
        let script = try finWait2(offer: offer, adjust)
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 2)
        try script.expect(.segment(flags: .ack, seq: script.iss + 2, ack: script.irs + 2))
        #expect(script.state == .timeWait)
        return script
    }

    /// Established, then the peer's FIN: we ACK it and the application sees the end of the stream. CLOSE-WAIT.
    static func closeWait(offer: PeerOffer = .plain, _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> ConformanceScript {
        let script = try established(offer: offer, adjust)
        try script.send([.fin, .ack], seq: script.irs + 1, ack: script.iss + 1)
        try script.expect(.segment(flags: .ack, seq: script.iss + 1, ack: script.irs + 2))
        #expect(script.state == .closeWait)
        return script
    }

    /// CLOSE-WAIT, then the application closes: our FIN. LAST-ACK.
    static func lastAck(offer: PeerOffer = .plain, _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws -> ConformanceScript {
        let script = try closeWait(offer: offer, adjust)
        try script.applicationCloses()
        try script.expect(.segment(flags: [.fin, .psh, .ack], seq: script.iss + 1, ack: script.irs + 2))
        #expect(script.state == .lastAck)
        return script
    }

    /// `count` bytes of a recognisable pattern, starting at `seed`.
    static func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { seed &+ UInt8(truncatingIfNeeded: $0) }
    }
}
