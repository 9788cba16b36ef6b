import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// RACK's time-based loss detection (RFC 8985) in the slow path's SACK recovery: the scoreboard's
/// rules, and two stacks in virtual time whose A → B direction a `SegmentRelay` delays, reorders
/// or drops segment by segment.
@Suite("RACK loss detection (sender side)")
struct RACKTests {
    typealias Recovery = SelectiveRecoveryTests
    static let roundTrip: UInt64 = 400_000
    static let start: UInt64 = 1_000_000_000

    /// Gives `board` the SACKed `ranges` (offsets from `Recovery.base`) with SND.UNA and SND.MAX at the
    /// offsets `unacknowledged` and `sendMaximum`, at `after` nanoseconds past `start`, RTT `roundTrip`.
    static func update(_ board: inout SACKScoreboard, _ ranges: [Range<UInt32>], unacknowledged: UInt32 = 0, sendMaximum: UInt32,
                       after: UInt64) {
        board.update(blocks: Recovery.blocks(ranges), unacknowledged: Recovery.base + unacknowledged,
                     sendMaximum: Recovery.base + sendMaximum, now: start + after, roundTrip: roundTrip)
    }

    /// A scoreboard in recovery that has retransmitted its one hole (the first segment; the next three are SACKed).
    static func retransmittedHole() -> SACKScoreboard {
        var board = SACKScoreboard(unacknowledged: Recovery.base)
        update(&board, [1000..<4000], sendMaximum: 4000, after: 0)
        board.enterRecovery(flight: 4000, segmentSize: Recovery.segment)
        let first = board.nextRetransmission(segmentSize: Recovery.segment, first: true)
        #expect(first.map { $0.sequence == Recovery.base && $0.length == 1000 && !$0.again } == true)
        return board
    }

    @Test("a retransmission is lost again once something sent after it is SACKed and an RTT has passed since it was sent; then it is sent again")
    func lostRetransmission() {
        let segment = Recovery.segment
        var board = Self.retransmittedHole()
        // Two RTTs later with nothing new delivered: no sign that it was lost.
        Self.update(&board, [1000..<4000], sendMaximum: 4000, after: 2 * Self.roundTrip)
        #expect(board.nextRetransmission(segmentSize: segment, first: false) == nil)
        board.planReorderTimer(segmentSize: segment)
        #expect(board.reorderDeadline == nil)
        // New data sent after it (above SND.MAX then) is SACKed: lost once an RTT has passed since it was sent.
        var later = Self.retransmittedHole()
        Self.update(&later, [1000..<5000], sendMaximum: 5000, after: Self.roundTrip / 2)
        #expect(later.nextRetransmission(segmentSize: segment, first: false) == nil)
        later.planReorderTimer(segmentSize: segment)
        #expect(later.reorderDeadline == Self.start + Self.roundTrip, "no reordering seen: no window in recovery")
        Self.update(&later, [1000..<5000], sendMaximum: 5000, after: Self.roundTrip)
        let again = later.nextRetransmission(segmentSize: segment, first: false)
        #expect(again.map { $0.sequence == Recovery.base && $0.length == 1000 && $0.again } == true)
        #expect(later.nextRetransmission(segmentSize: segment, first: false) == nil, "sent again now: not lost again at once")
        // Its acknowledgment retires it and ends recovery.
        Self.update(&later, [], unacknowledged: 5000, sendMaximum: 5000, after: 2 * Self.roundTrip)
        #expect(later.isIdle)
    }

    @Test("a hole sent once and delivered after bytes above it were SACKed is reordering: the window then stays a quarter RTT with three segments SACKed")
    func reorderingWidensTheWindow() {
        let segment = Recovery.segment
        var board = SACKScoreboard(unacknowledged: Recovery.base)
        Self.update(&board, [1000..<2000], sendMaximum: 2000, after: 0)
        #expect(board.reorderWindow(segmentSize: segment) == Self.roundTrip / 4)
        #expect(!board.detectsLoss(segmentSize: segment), "within the window")
        Self.update(&board, [3000..<6000], sendMaximum: 6000, after: 1000)
        #expect(board.reorderWindow(segmentSize: segment) == 0, "three segments SACKed and no reordering seen")
        #expect(!board.reorderingSeen)
        // The first hole arrives (never retransmitted): reordering.
        Self.update(&board, [3000..<6000], unacknowledged: 2000, sendMaximum: 6000, after: 2000)
        #expect(board.reorderingSeen && board.reorderWindow(segmentSize: segment) == Self.roundTrip / 4)
        // A hole filled by its retransmission is not reordering.
        var repaired = Self.retransmittedHole()
        Self.update(&repaired, [], unacknowledged: 4000, sendMaximum: 4000, after: Self.roundTrip)
        #expect(!repaired.reorderingSeen)
    }

    /// Test stacks without congestion control (the relay paces the sender instead) and with the
    /// default 200 ms minimum RTO.
    static var configuration: SlowPathConfiguration { StackPair.configuration { $0.congestionControl = nil } }

    @Test("a lost retransmission is repaired without a retransmission timeout: RACK sends it again once data sent after it is SACKed")
    func lostRetransmissionRepairedWithoutTimeout() throws {
        let relay = try SegmentRelay(configuration: Self.configuration)
        let lost = 30_000
        var copies = 0
        // Two segments a round, 1 ms each way; the segment holding byte 30,000 is lost, and so is its first retransmission.
        let intact = relay.transfer(StackPair.pattern(count: 120_000, seed: 14), chunk: 2 * 1448, delay: StackPair.millisecond) { offsets in
            guard offsets.contains(lost) else { return 0 }
            copies += 1
            return copies <= 2 ? nil : 0
        }
        #expect(intact)
        let counters = relay.pair.a.slowPath.counters
        #expect(copies == 3)
        #expect(counters.lostRetransmissions == 1 && counters.retransmissionTimeouts == 0)
        #expect(relay.pair.a.fastPath.segmentsRetransmitted == 2)
    }

    @Test("a segment overtaken by the next one and arriving within the reordering window is not retransmitted")
    func reorderingWithinTheWindow() throws {
        let relay = try SegmentRelay(configuration: Self.configuration)
        var held = 0
        // Two segments a round, 1 ms each way (a quarter RTT ≈ 250 µs); the segment holding byte 30,000 arrives one
        // round (100 µs) late, after the one sent with it.
        let intact = relay.transfer(StackPair.pattern(count: 120_000, seed: 15), chunk: 2 * 1448, delay: StackPair.millisecond) { offsets in
            guard offsets.contains(30_000) else { return 0 }
            held += 1
            return 100_000
        }
        #expect(intact && held == 1)
        #expect(relay.pair.a.slowPath.connections[Int(relay.flowA)]?.reorderingSeen == true, "A saw the SACK above the late segment")
        let counters = relay.pair.a.slowPath.counters
        #expect(relay.pair.a.fastPath.segmentsRetransmitted == 0 && counters.selectiveRecoveries == 0)
    }
}
