import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// The sender's SACK loss recovery (RFC 6675): the scoreboard's rules, and two FlexTCP stacks on a
/// lossy in-memory wire in virtual time.
@Suite("SACK loss recovery (sender side)")
struct SelectiveRecoveryTests {
    static let segment: UInt32 = 1000
    static let base = SequenceNumber(4_294_960_000)  // the sequence space wraps inside the tests' ranges

    static func blocks(_ ranges: [Range<UInt32>]) -> TCPSACKBlocks {
        var blocks = TCPSACKBlocks()
        for range in ranges { blocks.append(TCPSACKBlock(leftEdge: base + range.lowerBound, rightEdge: base + range.upperBound)) }
        return blocks
    }

    /// The scoreboard's SACKed ranges as offsets from `base`.
    static func ranges(_ scoreboard: SACKScoreboard) -> [Range<UInt32>] {
        scoreboard.sacked.map { UInt32($0.start - base)..<UInt32($0.end - base) }
    }

    @Test("blocks merge into sorted ranges; what SND.UNA passes goes; D-SACK and blocks beyond SND.MAX are ignored")
    func scoreboardUpdate() {
        var board = SACKScoreboard(unacknowledged: Self.base)
        board.update(blocks: Self.blocks([5000..<6000, 2000..<3000, 3000..<3500]), unacknowledged: Self.base, sendMaximum: Self.base + 10_000)
        #expect(Self.ranges(board) == [2000..<3500, 5000..<6000])
        board.update(blocks: Self.blocks([0..<500, 9000..<11_000, 3400..<5000]), unacknowledged: Self.base + 1000,
                     sendMaximum: Self.base + 10_000)
        #expect(Self.ranges(board) == [2000..<6000])
        board.update(blocks: TCPSACKBlocks(), unacknowledged: Self.base + 6000, sendMaximum: Self.base + 10_000)
        #expect(board.isIdle)
    }

    @Test("RFC 6675 IsLost: more than two segments SACKed above, or three separate ranges")
    func lossRule() {
        var board = SACKScoreboard(unacknowledged: Self.base)
        board.update(blocks: Self.blocks([1000..<3000]), unacknowledged: Self.base, sendMaximum: Self.base + 20_000)
        #expect(!board.isLost(Self.base, segmentSize: Self.segment))
        board.update(blocks: Self.blocks([1000..<3001]), unacknowledged: Self.base, sendMaximum: Self.base + 20_000)
        #expect(board.isLost(Self.base, segmentSize: Self.segment))
        var separate = SACKScoreboard(unacknowledged: Self.base)
        separate.update(blocks: Self.blocks([1000..<1100, 2000..<2100, 3000..<3100]), unacknowledged: Self.base,
                        sendMaximum: Self.base + 20_000)
        #expect(separate.isLost(Self.base, segmentSize: Self.segment))
        #expect(!separate.isLost(Self.base + 1500, segmentSize: Self.segment))
    }

    @Test("recovery retransmits each lost hole once, lowest first, never a SACKed byte or one above the highest SACKed")
    func holesInOrder() {
        var board = SACKScoreboard(unacknowledged: Self.base)
        let sendMaximum = Self.base + 20_000
        // Holes: 0..<1000, 2000..<2500, 6000..<7000 (not lost: only 1000 bytes SACKed above it).
        board.update(blocks: Self.blocks([1000..<2000, 2500..<6000, 7000..<8000]), unacknowledged: Self.base, sendMaximum: sendMaximum)
        board.enterRecovery(flight: 20_000, segmentSize: Self.segment)
        var sent: [Range<UInt32>] = []
        var first = true
        while let hole = board.nextRetransmission(segmentSize: Self.segment, first: first) {
            sent.append(UInt32(hole.sequence - Self.base)..<UInt32(hole.sequence - Self.base) + hole.length)
            first = false
        }
        #expect(sent == [0..<1000, 2000..<2500])
        // More SACKed above makes the third hole lost; the first two are not sent again.
        board.update(blocks: Self.blocks([8000..<11_000]), unacknowledged: Self.base, sendMaximum: sendMaximum)
        let next = board.nextRetransmission(segmentSize: Self.segment, first: false)
        #expect(next.map { UInt32($0.sequence - Self.base) } == 6000 && next?.length == 1000)
        #expect(board.nextRetransmission(segmentSize: Self.segment, first: false) == nil)
        // Recovery ends when SND.UNA reaches the recovery point.
        board.update(blocks: TCPSACKBlocks(), unacknowledged: sendMaximum, sendMaximum: sendMaximum)
        #expect(!board.inRecovery && board.isIdle)
    }

    @Test("retransmitted bytes in flight stay within half the flight at the start of recovery")
    func budget() {
        var board = SACKScoreboard(unacknowledged: Self.base)
        let sendMaximum = Self.base + 100_000
        // Four one-segment holes, each followed by three SACKed segments.
        board.update(blocks: Self.blocks([1000..<4000, 5000..<8000, 9000..<12_000, 13_000..<16_000]), unacknowledged: Self.base,
                     sendMaximum: sendMaximum)
        board.enterRecovery(flight: 4000, segmentSize: Self.segment)
        var count = 0
        var first = true
        while board.nextRetransmission(segmentSize: Self.segment, first: first) != nil {
            count += 1
            first = false
        }
        #expect(count == 2)
        #expect(board.retransmittedInFlight() == 2000)
    }

    @Test("the fast path keeps the peer's SACK blocks and SND.FACK, leaves three duplicate ACKs to the slow path, resends a hole on request, and drops the blocks once SND.UNA reaches SND.FACK")
    func fastPathPart() throws {
        let pair = try FastPathPair(options: [.timestamps, .selectiveAcknowledgment])
        let size = 1448
        _ = pair.send(FastPathPair.pattern(count: 4 * size, seed: 40)[...], from: pair.a)
        pair.a.transmit(now: pair.clock.now(), maximumSegments: 4)
        let segments = pair.wire.b.receiveCopies(maximum: 4)
        let start = try #require(pair.a.state(of: 0)).sendUnacknowledged
        /// Hands `frames` to `side` through its end of the wire.
        func deliver(_ frames: [[UInt8]], from sender: MemoryWireEndpoint, to receiver: MemoryWireEndpoint, _ side: FastPath) {
            for frame in frames { #expect(sender.transmit(frame)) }
            _ = receiver.receive(into: pair.receiveBatch)
            side.processReceived(pair.receiveBatch, now: pair.clock.now())
            receiver.releaseReceived(pair.receiveBatch)
            side.clearEvents()
        }
        // Segment 0 is lost: B's three duplicate ACKs carry SACK blocks up to the end.
        deliver(Array(segments[1...]), from: pair.wire.a, to: pair.wire.b, pair.b)
        deliver(pair.wire.a.receiveCopies(maximum: 8), from: pair.wire.b, to: pair.wire.a, pair.a)
        let state = try #require(pair.a.state(of: 0))
        #expect(state.duplicateAcknowledgments == 3 && state.fastRetransmits == 1)
        #expect(state.transmitSent == UInt32(4 * size) && state.transmitPending == 0, "no rewind")
        #expect(state.highestSelectivelyAcknowledged == start + UInt32(4 * size))
        #expect(Array(pair.a.selectiveAcknowledgments(of: 0)) == [TCPSACKBlock(leftEdge: start + UInt32(size), rightEdge: start + UInt32(4 * size))])
        // The slow path asks for the hole: one segment, and B acknowledges everything.
        pair.a.retransmit(flow: 0, sequence: start, length: UInt32(size), now: pair.clock.now())
        #expect(pair.a.segmentsRetransmitted == 1)
        deliver(pair.wire.b.receiveCopies(maximum: 8), from: pair.wire.a, to: pair.wire.b, pair.b)
        deliver(pair.wire.a.receiveCopies(maximum: 8), from: pair.wire.b, to: pair.wire.a, pair.a)
        let acknowledged = try #require(pair.a.state(of: 0))
        #expect(acknowledged.sendUnacknowledged == start + UInt32(4 * size))
        #expect(pair.a.selectiveAcknowledgments(of: 0).isEmpty, "blocks at or below SND.UNA are dropped")
        #expect(acknowledged.highestSelectivelyAcknowledged == acknowledged.sendUnacknowledged)
    }

    @Test("a hole the slow path read from an older snapshot, starting below SND.UNA, is resent from SND.UNA on; one wholly below is not")
    func retransmitRangeStartingBelowUnacknowledged() throws {
        let pair = try FastPathPair(options: [.timestamps, .selectiveAcknowledgment])
        let size = 1448
        _ = pair.send(FastPathPair.pattern(count: 2 * size, seed: 41)[...], from: pair.a)
        pair.a.transmit(now: pair.clock.now(), maximumSegments: 2)
        _ = pair.wire.b.receiveCopies(maximum: 2)
        let start = try #require(pair.a.state(of: 0)).sendUnacknowledged
        pair.a.retransmit(flow: 0, sequence: start - 100, length: 100, now: pair.clock.now())
        #expect(pair.a.segmentsRetransmitted == 0, "nothing of it is unacknowledged")
        pair.a.retransmit(flow: 0, sequence: start - 100, length: 100 + UInt32(size), now: pair.clock.now())
        #expect(pair.a.segmentsRetransmitted == 1)
        let resent = pair.wire.b.receiveCopies(maximum: 4)
        #expect(resent.count == 1)
        let parsed = try #require(resent.first.flatMap { frame in frame.withUnsafeBytes { try? ParsedFrame(parsing: $0) } })
        guard case let .ipv4(_, .tcp(segment)) = parsed.headers.network else {
            Issue.record("the retransmission is not a TCP segment")
            return
        }
        #expect(segment.sequenceNumber == start && parsed.payloadRange.count == size)
    }

    /// A sends `count` bytes to B over a wire dropping `loss` of the frames each way; returns the
    /// pair, A's flow and whether B got every byte intact.
    static func lossyTransfer(sack: Bool, loss: Double, seed: UInt64, count: Int) throws -> (StackPair, FlowIndex, Bool) {
        let configuration = StackPair.configuration {
            $0.offersSelectiveAcknowledgment = sack
            $0.minimumRetransmissionTimeout = 5 * StackPair.millisecond
        }
        var impairment = LinkEmulatorSettings()
        impairment.dropProbability = loss
        impairment.propagationDelayNanoseconds = 20_000
        impairment.seed = seed
        let pair = try StackPair(a: configuration, b: configuration, impairment: impairment)
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: count, seed: seed)
        let done = pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB) && pair.b.received[flowB] == data
        return (pair, flowA, done)
    }

    @Test("1% loss each way: every byte arrives; SACK recovery retransmits at most 1.5× the frames A's link dropped, without a timeout",
          arguments: [1, 2, 3] as [UInt64])
    func lossyStacks(seed: UInt64) throws {
        let (pair, _, complete) = try Self.lossyTransfer(sack: true, loss: 0.01, seed: seed, count: 3_000_000)
        #expect(complete)
        let dropped = try #require(pair.link.portA as? LinkEmulator).emulatorStatistics.droppedByLoss
        let retransmitted = pair.a.fastPath.segmentsRetransmitted
        let counters = pair.a.slowPath.counters
        #expect(dropped > 0 && counters.selectiveRecoveries > 0)
        #expect(Double(retransmitted) <= 1.5 * Double(dropped), "retransmitted \(retransmitted) for \(dropped) dropped")
        #expect(counters.retransmissionTimeouts == 0)
    }

    @Test("without SACK the same losses are repaired by going back to SND.UNA (the comparison: more retransmitted)")
    func goBackNWithoutSACK() throws {
        let (withSACK, _, completeWithSACK) = try Self.lossyTransfer(sack: true, loss: 0.01, seed: 1, count: 3_000_000)
        let (without, _, completeWithout) = try Self.lossyTransfer(sack: false, loss: 0.01, seed: 1, count: 3_000_000)
        #expect(completeWithSACK && completeWithout)
        #expect(without.a.slowPath.counters.selectiveRecoveries == 0)
        #expect(without.a.fastPath.segmentsRetransmitted > withSACK.a.fastPath.segmentsRetransmitted)
    }
}

extension SACKScoreboard {
    /// `update` without an RTT sample: RFC 6675's rules alone, RACK's time rule off.
    mutating func update(blocks: TCPSACKBlocks, unacknowledged: SequenceNumber, sendMaximum: SequenceNumber) {
        update(blocks: blocks, unacknowledged: unacknowledged, sendMaximum: sendMaximum, now: 0, roundTrip: 0)
    }
}
