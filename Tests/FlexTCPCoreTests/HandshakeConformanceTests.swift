import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

/// Raw segments with option bytes of our choosing (malformed ones included), from the raw peer to A.
extension RawPeer {
    /// Sends a segment whose TCP options are exactly `optionBytes` (padded with end-of-list to a
    /// multiple of 4), followed by `payload`.
    func send(sourcePort: UInt16 = 4000, destinationPort: UInt16, sequence: UInt32, acknowledgment: UInt32 = 0, flags: TCPFlags,
              optionBytes: [UInt8], payload: [UInt8] = []) throws {
        let options = optionBytes + Array(repeating: 0, count: (4 - optionBytes.count % 4) % 4)
        let segment = TCPSegmentRepr(sourcePort: sourcePort, destinationPort: destinationPort, sequenceNumber: SequenceNumber(sequence),
                                     acknowledgmentNumber: SequenceNumber(acknowledgment), flags: flags, window: 1000)
        // Emitted with the options as payload; then the data offset takes them into the header.
        var frame = try pair.link.frameToA(segment, payload: options + payload)
        let tcpStart = 14 + 20
        try frame.withUnsafeMutableBytes { bytes in
            let tcp = try TCPSegment(checking: bytes.baseAddress! + tcpStart, length: bytes.count - tcpStart)
            tcp.setDataOffset(UInt8((20 + options.count) / 4))
            tcp.fillChecksum(source: StackPair.addressB, destination: StackPair.addressA)
        }
        #expect(pair.wire.b.transmit(frame))
    }
}

/// Scripted checks of RFC 9293's segment-arrival rules for LISTEN, SYN-SENT, SYN-RECEIVED and TIME-WAIT,
/// and of handshake options: the raw peer (B's address and MAC) sends crafted segments to stack A; only A
/// steps, and what A sends back is read off B's end of the wire.
@Suite("Handshake conformance (RFC 9293 LISTEN, SYN-SENT, SYN-RECEIVED, TIME-WAIT; options)")
struct HandshakeConformanceTests {
    /// Steps only A, `milliseconds` of virtual time later.
    private static func stepA(_ pair: StackPair, after milliseconds: UInt64 = 0) {
        pair.clock.advance(by: milliseconds * StackPair.millisecond + 100_000)
        pair.a.step(now: pair.now)
    }

    /// B opens `count` connections to A's `port` (A starts listening there); returns A's flows.
    private static func openConnections(_ pair: StackPair, count: Int, port: UInt16 = 80) throws -> [FlowIndex] {
        try pair.a.slowPath.listen(port: port, backlog: 64)
        var accepted: [FlowIndex] = []
        let clients = try (0..<count).map { _ in try pair.b.slowPath.connect(to: StackPair.addressA, port: port, now: pair.now) }
        #expect(pair.run {
            while let flow = pair.a.slowPath.accept(port: port) { accepted.append(flow) }
            return accepted.count == count && clients.allSatisfy { pair.b.slowPath.state(of: $0) == .established }
        })
        return accepted
    }

    // MARK: Item 5 — malformed options in a SYN (Linux tcp_parse_options)

    struct MalformedOptionCase: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        /// What A should have understood: the peer's MSS (nil: absent), window scale, SACK-permitted, timestamps.
        let mss: UInt16?
        let windowScale: UInt8?
        let sackPermitted: Bool
        let timestamps: Bool
        var testDescription: String { name }
    }

    static let malformedOptionCases: [MalformedOptionCase] = [
        .init(name: "MSS of length 3 is ignored, the window scale after it is used",
              bytes: [2, 3, 0x05, 3, 3, 7], mss: nil, windowScale: 7, sackPermitted: false, timestamps: false),
        .init(name: "timestamps of length 8 are ignored, the MSS after them is used",
              bytes: [8, 8, 1, 2, 3, 4, 5, 6, 2, 4, 0x05, 0xb4], mss: 1460, windowScale: nil, sackPermitted: false, timestamps: false),
        .init(name: "timestamps of length 255 run past the header: the walk stops, the MSS before is kept",
              bytes: [2, 4, 0x05, 0xb4, 8, 255, 1, 2, 3, 4, 5, 6, 7, 8], mss: 1460, windowScale: nil, sackPermitted: false,
              timestamps: false),
        .init(name: "SACK-permitted of length 10 is ignored, the MSS after it is used",
              bytes: [4, 10, 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 0x05, 0xb4], mss: 1460, windowScale: nil, sackPermitted: false,
              timestamps: false),
        .init(name: "window scale of length 2 is ignored, SACK-permitted after it is used",
              bytes: [3, 2, 4, 2, 2, 4, 0x05, 0xb4], mss: 1460, windowScale: nil, sackPermitted: true, timestamps: false),
        .init(name: "an option of length 1 ends the walk, the MSS and timestamps before it are kept",
              bytes: [2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 30, 1, 3, 3, 7],
              mss: 1460, windowScale: nil, sackPermitted: false, timestamps: true),
        .init(name: "an option whose length byte is missing ends the walk",
              bytes: [1, 3, 3, 9, 2, 4, 0x05, 0xb4, 1, 1, 1, 30], mss: 1460, windowScale: 9, sackPermitted: false, timestamps: false),
    ]

    @Test("LISTEN: a SYN with a malformed option is answered as if the option were absent, and connects",
          arguments: malformedOptionCases)
    func malformedSYNOptions(_ testCase: MalformedOptionCase) throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try pair.a.slowPath.listen(port: 80, backlog: 4)
        try peer.send(destinationPort: 80, sequence: 1000, flags: .syn, optionBytes: testCase.bytes)
        Self.stepA(pair)
        let synAck = try #require(peer.receivedSegments().first)
        #expect(synAck.flags == [.syn, .ack] && synAck.acknowledgmentNumber.rawValue == 1001)
        #expect((synAck.options.windowScale != nil) == (testCase.windowScale != nil))
        #expect(synAck.options.sackPermitted == testCase.sackPermitted)
        #expect((synAck.options.timestamps != nil) == testCase.timestamps)
        #expect(pair.a.slowPath.counters.synsWithMalformedOptions == 1 && pair.a.slowPath.counters.malformedSegments == 0)

        let echo = synAck.options.timestamps.map { TCPTimestamps(value: 10, echoReply: $0.value) }
        try peer.send(destinationPort: 80, sequence: 1001, acknowledgment: synAck.sequenceNumber.rawValue &+ 1, flags: .ack,
                      options: TCPOptions(timestamps: echo))
        Self.stepA(pair)
        let flow = try #require(pair.a.slowPath.accept(port: 80))
        let state = try #require(pair.a.fastPath.state(of: flow))
        let expectedMSS = min(testCase.mss ?? NegotiatedOptions.defaultPeerSegmentSize, 1460) - (testCase.timestamps ? 12 : 0)
        #expect(state.maximumSegmentSize == expectedMSS)
        #expect(state.sendWindowShift == testCase.windowScale ?? 0)
    }

    @Test("SYN-SENT: a SYN-ACK with a malformed option (MSS of length 3) completes the connect, the option as absent")
    func malformedSYNACKOptions() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        let (flow, syn) = try Self.synSentOnA(pair)
        try peer.send(sourcePort: 80, destinationPort: syn.sourcePort, sequence: 3000, acknowledgment: syn.sequenceNumber.rawValue &+ 1,
                      flags: [.syn, .ack], optionBytes: [2, 3, 5, 1, 3, 3, 2])
        Self.stepA(pair)
        #expect(pair.a.slowPath.state(of: flow) == .established)
        let state = try #require(pair.a.fastPath.state(of: flow))
        #expect(state.maximumSegmentSize == NegotiatedOptions.defaultPeerSegmentSize && state.sendWindowShift == 2)
        #expect(peer.receivedSegments().last?.acknowledgmentNumber.rawValue == 3001)
    }

    @Test("FlexWire: lenient option parsing skips a bad-length option and stops at an overrun; strict parsing throws")
    func lenientOptionParsing() throws {
        let bytes: [UInt8] = [2, 3, 5, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 9]
        bytes.withUnsafeBytes { raw in
            let iterator = TCPOptionIterator(bytes: raw.baseAddress!, count: raw.count)
            let lenient = TCPOptions(lenientlyParsing: iterator)
            #expect(lenient == TCPOptions(windowScale: 7, sackPermitted: true, timestamps: TCPTimestamps(value: 1, echoReply: 2)))
            #expect(throws: WireError.badOptionLength(kind: 2)) { _ = try TCPOptions(parsing: iterator) }
        }
    }

    @Test("ESTABLISHED: a segment with malformed options is still dropped, its data not delivered")
    func malformedOptionsOnEstablishedFlow() throws {
        let pair = try StackPair()
        let (flowA, _) = try pair.connect()
        let state = try #require(pair.a.fastPath.state(of: flowA))
        _ = RawPeer(pair: pair).receivedSegments()
        try RawPeer(pair: pair).send(sourcePort: state.remotePort, destinationPort: state.localPort,
                                     sequence: state.receiveNext.rawValue, flags: .ack, optionBytes: [2, 3, 5],
                                     payload: [1, 2, 3])
        Self.stepA(pair)
        #expect(pair.a.received[flowA, default: []].isEmpty && pair.a.fastPath.state(of: flowA)?.receiveNext == state.receiveNext)
        #expect(pair.a.slowPath.counters.synsWithMalformedOptions == 0)
    }

    @Test("RFC 7323 §2.3: a window scale above 14 is used as 14")
    func windowScaleClampedAt14() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try pair.a.slowPath.listen(port: 80, backlog: 4)
        try peer.send(destinationPort: 80, sequence: 1000, flags: .syn, options: TCPOptions(windowScale: 15))
        Self.stepA(pair)
        let synAck = try #require(peer.receivedSegments().first)
        try peer.send(destinationPort: 80, sequence: 1001, acknowledgment: synAck.sequenceNumber.rawValue &+ 1, flags: .ack)
        Self.stepA(pair)
        let flow = try #require(pair.a.slowPath.accept(port: 80))
        #expect(pair.a.fastPath.state(of: flow)?.sendWindowShift == 14)
    }

    // MARK: Item 6 — beyond the connection capacity

    @Test("Capacity: with every ring pair taken a SYN gets no SYN-ACK; once a slot frees the retried SYN connects")
    func synBeyondCapacityWaitsForASlot() throws {
        let pair = try StackPair()
        try pair.resolveNeighbours()
        let flowsA = try Self.openConnections(pair, count: pair.a.slowPath.availableRingPairs)
        #expect(pair.a.slowPath.freeConnectionSlots == 0)
        let late = try pair.b.slowPath.connect(to: StackPair.addressA, port: 80, now: pair.now)
        pair.run(step: StackPair.millisecond, maximumRounds: 35)
        let counters = pair.a.slowPath.counters
        #expect(counters.synsDroppedNoResources >= 2 && counters.synAcksSent == UInt64(flowsA.count))
        #expect(pair.b.slowPath.state(of: late) == .synSent)

        // One connection ends (B aborts it, A takes the RST): the next retransmitted SYN connects.
        let victim = try #require(pair.b.established().first)
        pair.b.slowPath.abort(victim, reason: .resetByPeer, resetSentAt: pair.now)
        var accepted: FlowIndex?
        #expect(pair.run(step: StackPair.millisecond, maximumRounds: 200) {
            if accepted == nil { accepted = pair.a.slowPath.accept(port: 80) }
            return accepted != nil && pair.b.slowPath.state(of: late) == .established
        })
        #expect(pair.a.slowPath.counters.passiveOpens == UInt64(flowsA.count + 1))
    }

    @Test("Capacity: SYN-queue entries claim free slots; beyond the claims a cookie answers, and the ACK that finds no slot gets an RST")
    func synQueueClaimsSlots() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try pair.resolveNeighbours()
        _ = try Self.openConnections(pair, count: pair.a.slowPath.availableRingPairs - 1)
        _ = peer.receivedSegments()
        try peer.send(sourcePort: 4000, destinationPort: 80, sequence: 1000, flags: .syn)
        try peer.send(sourcePort: 4001, destinationPort: 80, sequence: 2000, flags: .syn)
        Self.stepA(pair)
        let synAcks = peer.receivedSegments()
        #expect(synAcks.map(\.destinationPort) == [4000, 4001] && synAcks.allSatisfy { $0.flags == [.syn, .ack] })
        // One free slot: the first SYN's queue entry claims it, the second gets a cookie.
        #expect(pair.a.slowPath.halfOpenCount == 1 && pair.a.slowPath.counters.cookiesSent == 1)

        // The cookie's ACK comes first and takes the slot; the queued handshake's ACK then gets an RST.
        try peer.send(sourcePort: 4001, destinationPort: 80, sequence: 2001,
                      acknowledgment: synAcks[1].sequenceNumber.rawValue &+ 1, flags: .ack)
        try peer.send(sourcePort: 4000, destinationPort: 80, sequence: 1001,
                      acknowledgment: synAcks[0].sequenceNumber.rawValue &+ 1, flags: .ack)
        Self.stepA(pair)
        let replies = peer.receivedSegments()
        #expect(replies.map(\.flags) == [.rst] && replies.first?.destinationPort == 4000)
        #expect(pair.a.slowPath.counters.cookiesAccepted >= 1 && pair.a.slowPath.counters.acknowledgmentsResetNoResources == 1)
        #expect(pair.a.slowPath.halfOpenCount == 0 && pair.a.slowPath.freeConnectionSlots == 0)
    }

    /// All but one of A's slots are taken by connections from B; the raw peer (port 4000) sends A a
    /// SYN and gets its SYN-ACK (returned); then an active open of A to B's port 81 takes the last
    /// ring pair before the peer's final ACK.
    private static func slotTakenAfterSYNACK(_ pair: StackPair) throws -> TCPSegmentRepr {
        let peer = RawPeer(pair: pair)
        try pair.resolveNeighbours()
        try pair.b.slowPath.listen(port: 81, backlog: 4)
        _ = try openConnections(pair, count: pair.a.slowPath.availableRingPairs - 1)
        _ = peer.receivedSegments()
        try peer.send(destinationPort: 80, sequence: 1000, flags: .syn)
        stepA(pair)
        let synAck = try #require(peer.receivedSegments().first)
        let active = try pair.a.slowPath.connect(to: StackPair.addressB, port: 81, now: pair.now)
        #expect(pair.run { pair.a.slowPath.state(of: active) == .established })
        #expect(pair.a.slowPath.freeConnectionSlots == 0)
        return synAck
    }

    @Test("Capacity: when the slot is gone by the final ACK, the ACK gets an RST (SEQ=SEG.ACK), never a silent drop")
    func finalACKWithoutResourcesGetsReset() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        let synAck = try Self.slotTakenAfterSYNACK(pair)
        let acknowledgment = synAck.sequenceNumber.rawValue &+ 1
        try peer.send(destinationPort: 80, sequence: 1001, acknowledgment: acknowledgment, flags: .ack)
        Self.stepA(pair)
        let reset = try #require(peer.receivedSegments().last)
        #expect(reset.flags == .rst && reset.sequenceNumber.rawValue == acknowledgment && reset.destinationPort == 4000)
        #expect(pair.a.slowPath.counters.acknowledgmentsResetNoResources == 1 && pair.a.slowPath.halfOpenCount == 0)
    }

    @Test("Capacity with SYN cookies: no cookie SYN-ACK without a free slot; a cookie ACK without one gets an RST")
    func cookiesRespectCapacity() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.synQueueCapacity = 0 })
        let peer = RawPeer(pair: pair)
        let synAck = try Self.slotTakenAfterSYNACK(pair)
        #expect(pair.a.slowPath.counters.cookiesAccepted > 0 && pair.a.slowPath.halfOpenCount == 0)

        // Full now: a new SYN gets no cookie, and the earlier cookie's ACK gets an RST.
        let cookiesSent = pair.a.slowPath.counters.cookiesSent
        try peer.send(sourcePort: 4001, destinationPort: 80, sequence: 5000, flags: .syn)
        let acknowledgment = synAck.sequenceNumber.rawValue &+ 1
        try peer.send(destinationPort: 80, sequence: 1001, acknowledgment: acknowledgment, flags: .ack)
        Self.stepA(pair)
        let replies = peer.receivedSegments()
        #expect(replies.map(\.flags) == [.rst] && replies.first?.sequenceNumber.rawValue == acknowledgment)
        let counters = pair.a.slowPath.counters
        #expect(counters.cookiesSent == cookiesSent && counters.synsDroppedNoResources == 1)
        #expect(counters.acknowledgmentsResetNoResources == 1)
    }

    // MARK: Item 7 — LISTEN and CLOSED

    @Test("LISTEN: data on a SYN is discarded and the SYN-ACK acknowledges only the SYN (ISN+1)")
    func dataOnSYNIsNotAcknowledged() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try pair.a.slowPath.listen(port: 80, backlog: 4)
        try peer.send(destinationPort: 80, sequence: 7000, flags: .syn, payload: Array(repeating: 0x61, count: 20))
        Self.stepA(pair)
        let synAck = try #require(peer.receivedSegments().first)
        #expect(synAck.flags == [.syn, .ack] && synAck.acknowledgmentNumber.rawValue == 7001)
    }

    @Test("LISTEN: SYN|FIN and SYN|URG|PSH|FIN are dropped (counted) without SYN-ACK")
    func synWithFINIsDropped() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try pair.a.slowPath.listen(port: 80, backlog: 4)
        try peer.send(sourcePort: 4000, destinationPort: 80, sequence: 1000, flags: [.syn, .fin])
        try peer.send(sourcePort: 4001, destinationPort: 80, sequence: 2000, flags: [.syn, .urg, .psh, .fin])
        Self.stepA(pair)
        #expect(peer.receivedSegments().isEmpty)
        #expect(pair.a.slowPath.counters.synsDroppedBadFlags == 2 && pair.a.slowPath.halfOpenCount == 0)

        // Without FIN, PSH and URG on a SYN do not matter.
        try peer.send(sourcePort: 4002, destinationPort: 80, sequence: 3000, flags: [.syn, .urg, .psh])
        Self.stepA(pair)
        #expect(peer.receivedSegments().map(\.flags) == [[.syn, .ack]])
    }

    @Test("RFC 9293 §3.10.7.2 LISTEN: no flags or FIN alone are dropped, RST ignored, ACK and SYN-ACK get RST (SEQ=SEG.ACK)")
    func listenSegmentArrival() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try pair.a.slowPath.listen(port: 80, backlog: 4)
        try peer.send(destinationPort: 80, sequence: 1000, flags: [])
        try peer.send(destinationPort: 80, sequence: 1000, flags: .fin)
        try peer.send(destinationPort: 80, sequence: 1000, flags: .rst)
        try peer.send(destinationPort: 80, sequence: 1000, acknowledgment: 3333, flags: .ack)
        try peer.send(destinationPort: 80, sequence: 1000, acknowledgment: 4444, flags: [.syn, .ack])
        Self.stepA(pair)
        let replies = peer.receivedSegments()
        #expect(replies.map(\.flags) == [.rst, .rst])
        #expect(replies.map(\.sequenceNumber.rawValue) == [3333, 4444])
        let counters = pair.a.slowPath.counters
        #expect(counters.segmentsDroppedInListen == 2 && counters.resetsIgnored == 1 && counters.synAcksSent == 0)
    }

    @Test("RFC 9293 §3.10.7.1 CLOSED: no flags and FIN alone get RST|ACK acknowledging them")
    func closedSegmentArrival() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try peer.send(destinationPort: 81, sequence: 1000, flags: [], payload: [1, 2, 3])
        try peer.send(destinationPort: 81, sequence: 2000, flags: .fin)
        Self.stepA(pair)
        let replies = peer.receivedSegments()
        #expect(replies.map(\.flags) == [[.rst, .ack], [.rst, .ack]])
        #expect(replies.map(\.acknowledgmentNumber.rawValue) == [1003, 2001] && replies.allSatisfy { $0.sequenceNumber.rawValue == 0 })
    }

    // MARK: Item 4 — TIME-WAIT

    @Test("TIME-WAIT: a retransmitted FIN is acknowledged again and restarts the 2·MSL timer")
    func timeWaitRetransmittedFIN() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        let (flowA, state) = try pair.closeFirstOnA()
        Self.stepA(pair, after: 40)
        try peer.send(sourcePort: state.remotePort, destinationPort: 80, sequence: state.receiveNext.rawValue &- 1,
                      acknowledgment: state.sendNext.rawValue, flags: [.fin, .ack])
        Self.stepA(pair)
        let ack = try #require(peer.receivedSegments().first)
        #expect(ack.flags == .ack && ack.acknowledgmentNumber == state.receiveNext && ack.sequenceNumber == state.sendNext)
        // 40 ms later (80 ms after entering TIME_WAIT, which lasts 50 ms) it still holds; 50 ms after the FIN it ends.
        Self.stepA(pair, after: 40)
        #expect(pair.a.state(of: flowA) == .timeWait)
        Self.stepA(pair, after: 11)
        #expect(pair.a.slowPath.state(of: flowA) == nil)
    }

    @Test("TIME-WAIT (RFC 6191, no timestamps): a SYN beyond RCV.NXT ends TIME-WAIT and the listener connects it")
    func timeWaitSYNBeyondReceiveNextReopens() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.offersTimestamps = false })
        let peer = RawPeer(pair: pair)
        let (flowA, state) = try pair.closeFirstOnA()
        let sequence = state.receiveNext.rawValue &+ 100_000
        try peer.send(sourcePort: state.remotePort, destinationPort: 80, sequence: sequence, flags: .syn)
        Self.stepA(pair)
        let synAck = try #require(peer.receivedSegments().first)
        #expect(synAck.flags == [.syn, .ack] && synAck.acknowledgmentNumber.rawValue == sequence &+ 1)
        // RFC 1122 4.2.2.13: the new ISS is beyond every sequence number the old incarnation used.
        #expect(synAck.sequenceNumber == state.sendNext + SlowPath.timeWaitReopenSequenceGap)
        #expect(pair.a.slowPath.counters.timeWaitReopenedBySYN == 1 && pair.a.slowPath.state(of: flowA) == nil)
        #expect(pair.a.slowPath.timeWaitCount == 0, "the reopen ends the TIME_WAIT record")
        try peer.send(sourcePort: state.remotePort, destinationPort: 80, sequence: sequence &+ 1,
                      acknowledgment: synAck.sequenceNumber.rawValue &+ 1, flags: .ack)
        Self.stepA(pair)
        let reopened = try #require(pair.a.slowPath.accept(port: 80))
        #expect(pair.a.slowPath.state(of: reopened) == .established)
    }

    @Test("TIME-WAIT: with the SYN queue full, a SYN that could reopen gets an ACK and TIME-WAIT stays (no cookie ISS)")
    func timeWaitReopenNeedsQueueRoom() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.offersTimestamps = false; $0.synQueueCapacity = 1 })
        let peer = RawPeer(pair: pair)
        let (flowA, state) = try pair.closeFirstOnA()
        try peer.send(sourcePort: 4321, destinationPort: 80, sequence: 777, flags: .syn)
        Self.stepA(pair)
        #expect(pair.a.slowPath.halfOpenCount == 1)
        _ = peer.receivedSegments()
        try peer.send(sourcePort: state.remotePort, destinationPort: 80, sequence: state.receiveNext.rawValue &+ 100_000, flags: .syn)
        Self.stepA(pair)
        let ack = try #require(peer.receivedSegments().first)
        #expect(ack.flags == .ack && ack.acknowledgmentNumber == state.receiveNext)
        #expect(pair.a.state(of: flowA) == .timeWait && pair.a.slowPath.counters.timeWaitReopenedBySYN == 0)
    }

    @Test("TIME-WAIT (no timestamps): a SYN at or below RCV.NXT gets an ACK and TIME-WAIT stays")
    func timeWaitOldSYNGetsAcknowledgment() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.offersTimestamps = false })
        let peer = RawPeer(pair: pair)
        let (flowA, state) = try pair.closeFirstOnA()
        try peer.send(sourcePort: state.remotePort, destinationPort: 80, sequence: state.receiveNext.rawValue &- 500, flags: .syn)
        Self.stepA(pair)
        let ack = try #require(peer.receivedSegments().first)
        #expect(ack.flags == .ack && ack.acknowledgmentNumber == state.receiveNext)
        #expect(pair.a.state(of: flowA) == .timeWait && pair.a.slowPath.counters.timeWaitReopenedBySYN == 0)
    }

    @Test("TIME-WAIT with timestamps: a newer TSval reopens even below RCV.NXT; an older TSval gets an ACK even beyond it")
    func timeWaitSYNWithTimestamps() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        let (flowA, state) = try pair.closeFirstOnA()
        #expect(state.options.contains(.timestamps))
        let older = TCPOptions(timestamps: TCPTimestamps(value: state.timestampRecent &- 1, echoReply: 0))
        try peer.send(sourcePort: state.remotePort, destinationPort: 80, sequence: state.receiveNext.rawValue &+ 100_000,
                      flags: .syn, options: older)
        Self.stepA(pair)
        let ack = try #require(peer.receivedSegments().first)
        #expect(ack.flags == .ack && pair.a.state(of: flowA) == .timeWait)

        let newer = TCPOptions(timestamps: TCPTimestamps(value: state.timestampRecent &+ 1000, echoReply: 0))
        try peer.send(sourcePort: state.remotePort, destinationPort: 80, sequence: state.receiveNext.rawValue &- 500,
                      flags: .syn, options: newer)
        Self.stepA(pair)
        let synAck = try #require(peer.receivedSegments().first)
        #expect(synAck.flags == [.syn, .ack] && pair.a.slowPath.counters.timeWaitReopenedBySYN == 1)
    }

    // MARK: SYN-SENT and SYN-RECEIVED

    /// A connects to B's port 80; returns A's flow and its SYN (B does not step: the raw peer answers).
    private static func synSentOnA(_ pair: StackPair) throws -> (FlowIndex, TCPSegmentRepr) {
        try pair.resolveNeighbours()
        let flow = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        stepA(pair)
        return (flow, try #require(RawPeer(pair: pair).receivedSegments().first { $0.flags.contains(.syn) }))
    }

    @Test("RFC 9293 §3.10.7.3 SYN-SENT: unacceptable ACK → RST SEQ=SEG.ACK (none for RST); RST only with our ACK; no SYN or RST → dropped")
    func synSentSegmentArrival() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        let (flow, syn) = try Self.synSentOnA(pair)
        let port = syn.sourcePort
        let iss = syn.sequenceNumber.rawValue
        try peer.send(sourcePort: 80, destinationPort: port, sequence: 500, acknowledgment: iss &+ 5, flags: [.syn, .ack])
        try peer.send(sourcePort: 80, destinationPort: port, sequence: 500, acknowledgment: iss &+ 5, flags: [.rst, .ack])
        try peer.send(sourcePort: 80, destinationPort: port, sequence: 500, flags: .rst)
        try peer.send(sourcePort: 80, destinationPort: port, sequence: 500, flags: .fin)
        Self.stepA(pair)
        let replies = peer.receivedSegments()
        #expect(replies.map(\.flags) == [.rst] && replies.first?.sequenceNumber.rawValue == iss &+ 5)
        #expect(pair.a.slowPath.state(of: flow) == .synSent)
        #expect(pair.a.slowPath.counters.resetsIgnored == 1)

        try peer.send(sourcePort: 80, destinationPort: port, sequence: 0, acknowledgment: iss &+ 1, flags: [.rst, .ack])
        Self.stepA(pair)
        #expect(pair.a.slowPath.state(of: flow) == nil)
        #expect(pair.a.events.last == .connectFailed(flow: flow, opaque: 0, context: 0, reason: .resetByPeer))
    }

    @Test("SYN-RECEIVED (RFC 5961 §3.2, §4.2): wrong ACK → RST; in-window RST or another SYN → challenge ACK; RST outside → ignored; exact → removed")
    func synReceivedSegmentArrival() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        try pair.a.slowPath.listen(port: 80, backlog: 4)
        try peer.send(destinationPort: 80, sequence: 1000, flags: .syn)
        Self.stepA(pair)
        let synAck = try #require(peer.receivedSegments().first)
        let iss = synAck.sequenceNumber.rawValue

        try peer.send(destinationPort: 80, sequence: 1001, acknowledgment: iss &+ 7, flags: .ack)
        try peer.send(destinationPort: 80, sequence: 1101, flags: .rst)
        try peer.send(destinationPort: 80, sequence: 990, flags: .rst)
        try peer.send(destinationPort: 80, sequence: 77_000, flags: .syn)
        Self.stepA(pair)
        let replies = peer.receivedSegments()
        #expect(replies.map(\.flags) == [.rst, .ack, .ack])
        #expect(replies.first?.sequenceNumber.rawValue == iss &+ 7)
        #expect(replies.last?.sequenceNumber.rawValue == iss &+ 1 && replies.last?.acknowledgmentNumber.rawValue == 1001)
        #expect(pair.a.slowPath.halfOpenCount == 1 && pair.a.slowPath.counters.resetsIgnored == 1)

        try peer.send(destinationPort: 80, sequence: 1001, flags: .rst)
        Self.stepA(pair)
        #expect(pair.a.slowPath.halfOpenCount == 0 && pair.a.slowPath.counters.resetsAccepted == 1)
    }

    @Test("SYN-SENT, simultaneous open: a crossing SYN gets SYN-ACK <SEQ=ISS><ACK=IRS+1>; the peer's SYN-ACK completes it")
    func simultaneousOpenWithRawPeer() throws {
        let pair = try StackPair()
        let peer = RawPeer(pair: pair)
        let (flow, syn) = try Self.synSentOnA(pair)
        let iss = syn.sequenceNumber.rawValue
        try peer.send(sourcePort: 80, destinationPort: syn.sourcePort, sequence: 9000, flags: .syn,
                      options: TCPOptions(maximumSegmentSize: 1000))
        Self.stepA(pair)
        let synAck = try #require(peer.receivedSegments().first)
        #expect(synAck.flags == [.syn, .ack] && synAck.sequenceNumber.rawValue == iss && synAck.acknowledgmentNumber.rawValue == 9001)
        #expect(pair.a.slowPath.state(of: flow) == .synSent && pair.a.slowPath.counters.simultaneousOpens == 1)

        // A lost SYN-ACK is retransmitted by the SYN timer (not the SYN).
        Self.stepA(pair, after: 10)
        #expect(peer.receivedSegments().map(\.flags) == [[.syn, .ack]])

        try peer.send(sourcePort: 80, destinationPort: syn.sourcePort, sequence: 9000, acknowledgment: iss &+ 1, flags: [.syn, .ack])
        Self.stepA(pair)
        #expect(pair.a.slowPath.state(of: flow) == .established)
        let state = try #require(pair.a.fastPath.state(of: flow))
        #expect(state.receiveNext.rawValue == 9001 && state.sendUnacknowledged.rawValue == iss &+ 1 && state.maximumSegmentSize == 1000)
        #expect(peer.receivedSegments().last?.flags == .ack)
    }

    @Test("Simultaneous open between two stacks: both SYNs cross, both sides establish and data flows")
    func simultaneousOpenBetweenStacks() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.ephemeralPorts = 50000...50000 },
                                 b: StackPair.configuration { $0.ephemeralPorts = 60000...60000 })
        try pair.resolveNeighbours()
        let flowA = try pair.a.slowPath.connect(to: StackPair.addressB, port: 60000, now: pair.now)
        let flowB = try pair.b.slowPath.connect(to: StackPair.addressA, port: 50000, now: pair.now)
        #expect(pair.run {
            pair.a.slowPath.state(of: flowA) == .established && pair.b.slowPath.state(of: flowB) == .established
        })
        #expect(pair.a.slowPath.counters.simultaneousOpens == 1 && pair.b.slowPath.counters.simultaneousOpens == 1)
        let data = StackPair.pattern(count: 100_000, seed: 21)
        #expect(pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB))
        #expect(pair.b.received[flowB] == data)
    }
}
