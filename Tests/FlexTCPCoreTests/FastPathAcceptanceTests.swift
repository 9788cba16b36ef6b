import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// A's established connection with B, B's stack switched off: the test speaks for B with hand-made
/// frames, steps only A, and reads what A sends back.
private final class ScriptedPeer {
    let pair: StackPair
    let flow: FlowIndex
    /// A's fast-path state of the flow right after the handshake.
    let initial: FlowState

    init() throws {
        pair = try StackPair()
        (flow, _) = try pair.connect()
        initial = try #require(pair.a.fastPath.state(of: flow))
        _ = replies()
    }

    /// A's fast-path state of the flow now (nil once removed).
    var state: FlowState? { pair.a.fastPath.state(of: flow) }
    var received: [UInt8] { pair.a.received[flow, default: []] }

    /// One frame of B's side of the connection. `ipOptions` (a multiple of 4 bytes) go after the
    /// IPv4 header, whose length and checksum then count them.
    func frame(sequence: SequenceNumber, acknowledgment: SequenceNumber, flags: TCPFlags = .ack, window: UInt16 = 1000,
               payload: [UInt8] = [], timestamp: UInt32? = nil, destinationMAC: MACAddress? = nil, ipOptions: [UInt8] = [],
               ports: (source: UInt16, destination: UInt16)? = nil) throws -> [UInt8] {
        let options = TCPOptions(timestamps: timestamp.map { TCPTimestamps(value: $0, echoReply: 0) })
        let ports = ports ?? (initial.remotePort, initial.localPort)
        let segment = TCPSegmentRepr(sourcePort: ports.source, destinationPort: ports.destination, sequenceNumber: sequence,
                                     acknowledgmentNumber: acknowledgment, flags: flags, window: window, options: options)
        let headers = FrameHeaders(ethernet: EthernetRepr(destination: destinationMAC ?? pair.wire.a.macAddress,
                                                          source: pair.wire.b.macAddress, etherType: .ipv4),
                                   network: .ipv4(IPv4Repr(source: StackPair.addressB, destination: StackPair.addressA,
                                                           protocolNumber: .tcp, payloadLength: 0), .tcp(segment)))
        var bytes = try headers.frame(payload: payload)
        guard !ipOptions.isEmpty else { return bytes }
        let ip = 14
        bytes.insert(contentsOf: ipOptions, at: ip + 20)
        bytes[ip] = 0x40 | UInt8(5 + ipOptions.count / 4)
        let total = (UInt16(bytes[ip + 2]) << 8 | UInt16(bytes[ip + 3])) + UInt16(ipOptions.count)
        bytes[ip + 2] = UInt8(total >> 8)
        bytes[ip + 3] = UInt8(total & 0xff)
        bytes[ip + 10] = 0
        bytes[ip + 11] = 0
        let checksum = bytes.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress! + ip, count: 20 + ipOptions.count) }
        bytes[ip + 10] = UInt8(checksum >> 8)
        bytes[ip + 11] = UInt8(checksum & 0xff)
        return bytes
    }

    /// Sends a segment of B's at `sequence` (default: `offset` past A's RCV.NXT), acknowledging A's
    /// SND.NXT unless told otherwise (A's flow must exist for the defaults).
    func send(sequence: SequenceNumber? = nil, offset: Int32 = 0, acknowledgment: SequenceNumber? = nil, flags: TCPFlags = .ack,
              window: UInt16 = 1000, payload: [UInt8] = [], timestamp: UInt32? = nil, destinationMAC: MACAddress? = nil,
              ipOptions: [UInt8] = []) throws {
        let sequence = try sequence ?? #require(state).receiveNext.advanced(by: offset)
        let acknowledgment = try acknowledgment ?? #require(state).sendNext
        let bytes = try frame(sequence: sequence, acknowledgment: acknowledgment,
                              flags: flags, window: window, payload: payload, timestamp: timestamp,
                              destinationMAC: destinationMAC, ipOptions: ipOptions)
        let sent = pair.wire.b.transmit(bytes)
        #expect(sent, "the wire took the frame")
    }

    /// Lets A run once, `after` nanoseconds of virtual time later.
    func step(after: UInt64 = StackPair.millisecond) {
        pair.clock.advance(by: after)
        pair.a.step(now: pair.now)
    }

    /// The TCP segments A sent since the last call.
    func replies() -> [TCPSegmentRepr] { RawPeer(pair: pair).receivedSegments() }

    /// Sends `payload` at RCV.NXT with a TSval 1000 past TS.Recent and lets A take it; returns that TSval.
    func advanceTimestamp(with payload: [UInt8]) throws -> UInt32 {
        let recent = try #require(state).timestampRecent &+ 1_000
        try send(payload: payload, timestamp: recent)
        step()
        return recent
    }

    func verdicts(_ verdict: FastPathVerdict) -> UInt64 { pair.a.fastPath.frames(withVerdict: verdict) }
}

@Suite("Fast path acceptance: ACK field, destination MAC, data after FIN, PAWS, IP options")
struct FastPathAcceptanceTests {
    static let text = Array("injected text!".utf8)

    // MARK: RFC 9293 §3.10.7.4 "fifth, check the ACK field"; RFC 5961 §5.2

    @Test("RFC 5961 §5.2: data whose ACK is above SND.NXT is dropped, its window ignored, and answered with an ACK",
          arguments: [UInt32(1), 100_000])
    func acknowledgmentOfUnsentData(beyond: UInt32) throws {
        let peer = try ScriptedPeer()
        let before = try #require(peer.state)
        try peer.send(acknowledgment: before.sendNext + beyond, window: 0, payload: Self.text)
        peer.step()
        let answers = peer.replies()
        #expect(answers.count == 1)
        #expect(answers.first?.flags == .ack)
        #expect(answers.first?.acknowledgmentNumber == before.receiveNext, "nothing was acknowledged")
        #expect(answers.first?.sequenceNumber == before.sendNext)
        #expect(peer.received.isEmpty)
        let after = try #require(peer.state)
        #expect(after.receiveNext == before.receiveNext && after.peerWindow == before.peerWindow)
        #expect(after.sendUnacknowledged == before.sendUnacknowledged)
        #expect(peer.verdicts(.acknowledgesUnsent) == 1)
    }

    @Test("RFC 5961 §5.2: data whose ACK is older than SND.UNA − MAX.SND.WND is dropped and answered with an ACK")
    func acknowledgmentTooOld() throws {
        let peer = try ScriptedPeer()
        let before = try #require(peer.state)
        #expect(before.maximumPeerWindow < 200_000)
        try peer.send(acknowledgment: before.sendUnacknowledged - 200_000, payload: Self.text)
        peer.step()
        let answers = peer.replies()
        #expect(answers.map(\.acknowledgmentNumber) == [before.receiveNext])
        #expect(peer.received.isEmpty)
        #expect(peer.verdicts(.acknowledgmentTooOld) == 1)
    }

    @Test("RFC 5961 §5.2: an old ACK within MAX.SND.WND is ignored, the data it carries accepted")
    func oldAcknowledgmentWithinWindow() throws {
        let peer = try ScriptedPeer()
        let before = try #require(peer.state)
        try peer.send(acknowledgment: before.sendUnacknowledged - 10, payload: Self.text)
        peer.step()
        #expect(peer.received == Self.text)
        #expect(peer.replies().last?.acknowledgmentNumber == before.receiveNext + UInt32(Self.text.count))
        #expect(try #require(peer.state).sendUnacknowledged == before.sendUnacknowledged)
    }

    @Test("RFC 9293: an ACK for bytes queued but never sent (the window was closed) is refused and answered")
    func acknowledgmentOfQueuedBytes() throws {
        let peer = try ScriptedPeer()
        try peer.send(window: 0)
        peer.step()
        #expect(peer.pair.a.send(StackPair.pattern(count: 3000, seed: 81)[...], on: peer.flow, now: peer.pair.now) == 3000)
        peer.step()
        let blocked = try #require(peer.state)
        #expect(blocked.transmitSent == 0 && blocked.transmitPending == 3000)
        _ = peer.replies()
        try peer.send(acknowledgment: blocked.sendUnacknowledged + 100, window: 0)
        peer.step()
        #expect(peer.replies().map(\.acknowledgmentNumber) == [blocked.receiveNext])
        let after = try #require(peer.state)
        #expect(after.sendUnacknowledged == blocked.sendUnacknowledged && after.transmitPending == 3000)
    }

    @Test("after a go-back-N rewind, an ACK of everything sent before it is still accepted")
    func acknowledgmentAfterRewind() throws {
        let peer = try ScriptedPeer()
        let data = StackPair.pattern(count: 1000, seed: 82)
        #expect(peer.pair.a.send(data[...], on: peer.flow, now: peer.pair.now) == 1000)
        peer.step()
        let sent = try #require(peer.state)
        #expect(sent.transmitSent == 1000)
        peer.pair.a.fastPath.retransmit(flow: peer.flow, now: peer.pair.now)
        _ = peer.replies()
        try peer.send(acknowledgment: sent.sendUnacknowledged + 1000)
        peer.step()
        let after = try #require(peer.state)
        #expect(after.sendUnacknowledged == sent.sendUnacknowledged + 1000)
        #expect(after.transmitSent == 0 && after.transmitPending == 0)
        #expect(peer.verdicts(.acknowledgesUnsent) == 0)
    }

    @Test("RFC 5961 §7: a pure ACK above SND.NXT is answered, at most once per half second per flow")
    func pureAcknowledgmentOfUnsentData() throws {
        let peer = try ScriptedPeer()
        let before = try #require(peer.state)
        try peer.send(acknowledgment: before.sendNext + 5)
        peer.step()
        #expect(peer.replies().map(\.acknowledgmentNumber) == [before.receiveNext])
        try peer.send(acknowledgment: before.sendNext + 5)
        peer.step(after: 100 * StackPair.millisecond)
        #expect(peer.replies().isEmpty, "rate limited")
        #expect(peer.pair.a.fastPath.answersSuppressed == 1)
        try peer.send(acknowledgment: before.sendNext + 5)
        peer.step(after: 500 * StackPair.millisecond)
        #expect(peer.replies().count == 1)
        #expect(peer.verdicts(.acknowledgesUnsent) == 3)
    }

    @Test("RFC 9293 §3.10.7.4: a window from a segment older than SND.WL1 is ignored")
    func olderSegmentLeavesWindow() throws {
        let peer = try ScriptedPeer()
        try peer.send(window: 500, payload: Self.text)
        try peer.send(offset: Int32(Self.text.count), window: 900, payload: Self.text)
        peer.step()
        let current = try #require(peer.state)
        #expect(current.peerWindow == 900 << UInt32(current.sendWindowShift))
        // A copy of the first segment (sent again, or late) with another window.
        try peer.send(sequence: peer.initial.receiveNext, window: 300, payload: Self.text)
        peer.step()
        #expect(try #require(peer.state).peerWindow == current.peerWindow)
        #expect(peer.received == Self.text + Self.text)
    }

    // MARK: Destination MAC

    @Test("frames of an established flow sent to broadcast, multicast or another host's MAC are dropped",
          arguments: [MACAddress.broadcast, MACAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01), MACAddress(0x02, 0, 0, 0, 0, 0x99)])
    func foreignDestinationMAC(destination: MACAddress) throws {
        let peer = try ScriptedPeer()
        try peer.send(payload: Self.text, destinationMAC: destination)
        peer.step()
        #expect(peer.received.isEmpty)
        #expect(peer.replies().isEmpty)
        #expect(peer.verdicts(.foreignDestinationMAC) == 1)
        try peer.send(payload: Self.text)
        peer.step()
        #expect(peer.received == Self.text)
    }

    // MARK: Segment text after the peer's FIN

    @Test("CLOSE-WAIT: text after the peer's FIN is ignored, not acknowledged, never delivered")
    func dataAfterFINInCloseWait() throws {
        let peer = try ScriptedPeer()
        try peer.send(flags: [.ack, .fin])
        peer.step()
        #expect(peer.pair.a.slowPath.state(of: peer.flow) == .closeWait)
        let finished = try #require(peer.state)
        #expect(peer.replies().map(\.acknowledgmentNumber) == [finished.receiveNext])
        try peer.send(payload: Self.text)
        try peer.send(offset: -1, payload: Self.text)
        peer.step()
        #expect(peer.replies().isEmpty)
        #expect(peer.received.isEmpty)
        #expect(try #require(peer.state).receiveNext == finished.receiveNext)
        #expect(peer.verdicts(.dataAfterFIN) == 2)
    }

    @Test("LAST-ACK: text after the peer's FIN is ignored while the ACK it carries completes the close")
    func dataAfterFINInLastAck() throws {
        let peer = try ScriptedPeer()
        try peer.send(flags: [.ack, .fin])
        peer.step()
        #expect(peer.pair.a.slowPath.close(flow: peer.flow, now: peer.pair.now))
        peer.step()
        #expect(peer.pair.a.slowPath.state(of: peer.flow) == .lastAck)
        let closing = try #require(peer.state)
        _ = peer.replies()
        try peer.send(acknowledgment: closing.sendUnacknowledged, payload: Self.text)
        peer.step()
        #expect(peer.replies().isEmpty)
        #expect(peer.received.isEmpty)
        try peer.send(acknowledgment: closing.sendNext, payload: Self.text)
        peer.step()
        #expect(peer.received.isEmpty)
        #expect(peer.pair.a.events.contains(.closed(flow: peer.flow, opaque: 42, context: 0)))
        #expect(peer.pair.a.slowPath.state(of: peer.flow) == nil)
    }

    @Test("TIME-WAIT: text after the FIN gets an ACK of RCV.NXT and leaves it, so a retransmitted FIN is acknowledged again")
    func dataAfterFINInTimeWait() throws {
        let peer = try ScriptedPeer()
        #expect(peer.pair.a.slowPath.close(flow: peer.flow, now: peer.pair.now))
        peer.step()
        let finSent = try #require(peer.state)
        try peer.send(acknowledgment: finSent.sendNext, flags: [.ack, .fin])
        peer.step()
        // TIME-WAIT holds a record, not the flow: RCV.NXT is one past the peer's FIN.
        #expect(peer.pair.a.state(of: peer.flow) == .timeWait && peer.state == nil)
        let receiveNext = finSent.receiveNext + 1
        _ = peer.replies()
        try peer.send(sequence: receiveNext, acknowledgment: finSent.sendNext, payload: Self.text)
        peer.step()
        // Linux answers text after the FIN in TIME-WAIT with an ACK of RCV.NXT (tcp_timewait_state_process).
        #expect(peer.replies().map(\.acknowledgmentNumber) == [receiveNext])
        try peer.send(sequence: receiveNext - 1, acknowledgment: finSent.sendNext, flags: [.ack, .fin])
        peer.step()
        #expect(peer.replies().map(\.acknowledgmentNumber) == [receiveNext])
        #expect(peer.received.isEmpty)
    }

    @Test("data beyond a FIN held after the out-of-order interval is ignored; the FIN is taken when the gap fills")
    func dataPastHeldFIN() throws {
        let peer = try ScriptedPeer()
        let data = StackPair.pattern(count: 3000, seed: 35)
        try peer.send(offset: 1000, flags: [.ack, .fin], payload: Array(data[1000..<2000]))
        try peer.send(offset: 2000, payload: Array(data[2000...]))
        try peer.send(offset: 1500, payload: Array(data[1500..<2600]))
        try peer.send(offset: 0, payload: Array(data[..<1000]))
        peer.step()
        #expect(peer.replies().last?.acknowledgmentNumber == peer.initial.receiveNext + 2001)
        #expect(peer.received == Array(data[..<2000]))
        #expect(peer.pair.a.events.contains(.peerClosed(flow: peer.flow, opaque: 42, context: 0)))
        #expect(peer.pair.a.slowPath.state(of: peer.flow) == .closeWait)
        #expect(peer.verdicts(.dataAfterFIN) == 1)
    }

    @Test("window updates with the same SEQ and ACK: a smaller one may be stale (reordered) and is ignored; a larger or zero one is taken")
    func reorderedWindowUpdates() throws {
        let peer = try ScriptedPeer()
        let shift = UInt32(peer.initial.sendWindowShift)
        try peer.send(window: 30_000)
        peer.step()
        #expect(try #require(peer.state).peerWindow == 30_000 << shift)
        try peer.send(window: 2_000)
        peer.step()
        #expect(try #require(peer.state).peerWindow == 30_000 << shift)
        try peer.send(window: 40_000)
        peer.step()
        #expect(try #require(peer.state).peerWindow == 40_000 << shift)
        try peer.send(window: 0)
        peer.step()
        #expect(try #require(peer.state).peerWindow == 0)
    }

    @Test("an in-order FIN purges an out-of-order interval beyond it: nothing past the FIN is delivered or SACKed",
          arguments: [(intervalOffset: 50, intervalLength: 50, finSegmentLength: 60), (intervalOffset: 50, intervalLength: 10,
                                                                                     finSegmentLength: 10)])
    func inOrderFINPurgesIntervalBeyond(intervalOffset: Int32, intervalLength: Int, finSegmentLength: Int) throws {
        let peer = try ScriptedPeer()
        let data = StackPair.pattern(count: 200, seed: 36)
        try peer.send(offset: intervalOffset, payload: Array(data[Int(intervalOffset)..<Int(intervalOffset) + intervalLength]))
        try peer.send(offset: 0, flags: [.ack, .fin], payload: Array(data[..<finSegmentLength]))
        peer.step()
        let state = try #require(peer.state)
        #expect(peer.received == Array(data[..<finSegmentLength]))
        #expect(state.receiveNext == peer.initial.receiveNext + UInt32(finSegmentLength + 1))
        #expect(state.closeFlags.contains(.peerFinished) && state.outOfOrderCount == 0)
        #expect(peer.replies().last?.acknowledgmentNumber == peer.initial.receiveNext + UInt32(finSegmentLength + 1))
    }

    @Test("seeded segments around a FIN, overlapping it and beyond it, never extend the stream past the FIN",
          arguments: [1, 2, 3] as [UInt64])
    func seededSegmentsAroundFIN(seed: UInt64) throws {
        let peer = try ScriptedPeer()
        let finOffset = 12_000
        let stream = StackPair.pattern(count: finOffset + 4_000, seed: seed)
        var random = SeededRandom(seed: seed)
        func send(_ range: Range<Int>, fin: Bool) throws {
            try peer.send(sequence: peer.initial.receiveNext + UInt32(range.lowerBound), flags: fin ? [.ack, .fin] : .ack,
                          payload: Array(stream[range]))
        }
        for round in 1...400 {
            let length = Int.random(in: 1...1_200, using: &random)
            if round % 5 == 0 {
                try send(finOffset - length..<finOffset, fin: true)
            } else {
                let start = Int.random(in: 0..<stream.count - 1, using: &random)
                try send(start..<min(start + length, stream.count), fin: false)
            }
            if round % 10 == 0 {
                peer.step()
                _ = peer.replies()
                let received = peer.received
                #expect(received.count <= finOffset && received == Array(stream[..<received.count]))
                #expect(try #require(peer.state).receiveNext - peer.initial.receiveNext <= Int32(finOffset + 1))
            }
        }
        for start in stride(from: 0, to: finOffset, by: 1_000) { try send(start..<start + 1_000, fin: start + 1_000 == finOffset) }
        peer.step()
        #expect(peer.received == Array(stream[..<finOffset]))
        #expect(try #require(peer.state).receiveNext == peer.initial.receiveNext + UInt32(finOffset + 1))
        #expect(peer.pair.a.events.contains(.peerClosed(flow: peer.flow, opaque: 42, context: 0)))
    }

    // MARK: RFC 7323 timestamps

    @Test("RFC 7323 §5.3: a segment whose TSval is older than TS.Recent is dropped and answered with an ACK")
    func protectionAgainstWrappedSequences() throws {
        let peer = try ScriptedPeer()
        let recent = try peer.advanceTimestamp(with: Self.text)
        let accepted = try #require(peer.state)
        #expect(accepted.timestampRecent == recent)
        _ = peer.replies()
        try peer.send(payload: Self.text, timestamp: recent &- 1)
        peer.step()
        let answers = peer.replies()
        #expect(answers.map(\.acknowledgmentNumber) == [accepted.receiveNext])
        #expect(answers.first?.options.timestamps?.echoReply == recent)
        #expect(peer.received == Self.text, "the old segment's text was not delivered")
        #expect(peer.verdicts(.timestampTooOld) == 1)
    }

    @Test("RFC 7323 §5.5: a TS.Recent older than 24 days no longer rejects; the segment's TSval replaces it")
    func timestampRecentExpires() throws {
        let peer = try ScriptedPeer()
        let recent = try peer.advanceTimestamp(with: Self.text)
        try peer.send(payload: Self.text, timestamp: recent &- 500)
        peer.step(after: 25 * 86_400 * 1_000_000_000)
        #expect(peer.received == Self.text + Self.text)
        #expect(try #require(peer.state).timestampRecent == recent &- 500)
    }

    @Test("RFC 7323 §4.3: TS.Recent follows pure ACKs at RCV.NXT, not segments beyond it")
    func timestampRecentFromAcknowledgments() throws {
        let peer = try ScriptedPeer()
        let echoed = peer.initial.timestampRecent &+ 7_000
        try peer.send(timestamp: echoed)
        try peer.send(offset: 100, payload: Self.text, timestamp: echoed &+ 5_000)
        peer.step()
        #expect(try #require(peer.state).timestampRecent == echoed)
        _ = peer.replies()
        #expect(peer.pair.a.send(Self.text[...], on: peer.flow, now: peer.pair.now) == Self.text.count)
        peer.step()
        #expect(peer.replies().last?.options.timestamps?.echoReply == echoed)
    }

    // MARK: RFC 1122 §3.2.1.8: IP options

    @Test("RFC 1122: a segment with IP options on an established flow is processed normally", arguments: [4, 40])
    func segmentWithIPOptions(optionBytes: Int) throws {
        let peer = try ScriptedPeer()
        // Router alert (RFC 2113), then NOPs up to the length asked for.
        let options: [UInt8] = [0x94, 0x04, 0x00, 0x00] + Array(repeating: 0x01, count: optionBytes - 4)
        try peer.send(payload: Self.text, ipOptions: options)
        peer.step()
        #expect(peer.received == Self.text)
        #expect(peer.replies().last?.acknowledgmentNumber == peer.initial.receiveNext + UInt32(Self.text.count))
    }

    @Test("RFC 1122: a SYN with IP options gets a SYN-ACK")
    func synWithIPOptions() throws {
        let peer = try ScriptedPeer()
        try peer.pair.a.slowPath.listen(port: 8080, backlog: 4)
        let bytes = try peer.frame(sequence: SequenceNumber(100), acknowledgment: SequenceNumber(0), flags: .syn,
                                   ipOptions: [0x94, 0x04, 0x00, 0x00], ports: (5000, 8080))
        #expect(peer.pair.wire.b.transmit(bytes))
        peer.step()
        #expect(peer.replies().map(\.flags) == [[.syn, .ack]])
    }
}
