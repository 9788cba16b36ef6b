import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// RFC 8985 tail loss probes: the last segments of a burst are lost, nothing follows them to draw
/// duplicate ACKs, and the sender probes after 2 × SRTT instead of waiting for the RTO.
@Suite("Tail loss probes (sender side)")
struct TailLossProbeTests {
    /// A sends `count` bytes to B; until A retransmits anything, the wire loses every data segment
    /// that ends within the stream's last `lostTail` bytes. Returns A's slow-path counters once B
    /// has every byte intact (nil if it never does).
    static func transferLosingTail(probes: Bool, count: Int = 100_000, lostTail: Int = 3000) throws -> SlowPathCounters? {
        let relay = try relay(probes: probes)
        let intact = relay.transfer(StackPair.pattern(count: count, seed: 9)) { offsets in
            relay.pair.a.fastPath.segmentsRetransmitted == 0 && offsets.upperBound > count - lostTail ? nil : 0
        }
        return intact ? relay.pair.a.slowPath.counters : nil
    }

    /// A relay whose sender runs DCTCP from 10 Mbit/s (no initial window): a 100 KB transfer takes
    /// RTT samples before its tail leaves, so a probe can be timed.
    static func relay(probes: Bool) throws -> SegmentRelay {
        let start = try DCTCPConfiguration(maximumRateBytesPerSecond: 1.25e9, initialWindowSegments: 0)
        return try SegmentRelay(configuration: StackPair.configuration { $0.sendsTailLossProbes = probes; $0.congestionControl = start })
    }

    @Test("the lost tail is repaired after a probe and SACK recovery, without a retransmission timeout; without probes the RTO repairs it")
    func tailRepairedWithoutTimeout() throws {
        let probed = try #require(try Self.transferLosingTail(probes: true))
        #expect(probed.tailLossProbes >= 1 && probed.probeRecoveries >= 1)
        #expect(probed.retransmissionTimeouts == 0)
        let unprobed = try #require(try Self.transferLosingTail(probes: false))
        #expect(unprobed.tailLossProbes == 0 && unprobed.retransmissionTimeouts >= 1)
    }

    @Test("a tail held up 5 ms on a sub-millisecond round trip draws no probe: the probe timer waits at least minimumProbeTimeout (10 ms), not 2 × SRTT")
    func delayedTailDrawsNoProbe() throws {
        let relay = try Self.relay(probes: true)
        let count = 100_000, heldTail = 3000
        let intact = relay.transfer(StackPair.pattern(count: count, seed: 9)) { offsets in
            offsets.upperBound > count - heldTail ? 5_000_000 : 0
        }
        #expect(intact)
        let counters = relay.pair.a.slowPath.counters
        #expect(counters.tailLossProbes == 0, "a probe sent while the tail was only late is spurious")
        #expect(counters.retransmissionTimeouts == 0 && relay.pair.a.fastPath.segmentsRetransmitted == 0)
    }

    @Test("a SACKed probe makes every unSACKed byte below it lost once the reordering window has passed (RACK): recovery sends the holes within its budget, where RFC 6675's rule alone waits")
    func probeRecoveryOnTheScoreboard() {
        typealias Recovery = SelectiveRecoveryTests
        let base = Recovery.base, segment = Recovery.segment
        let roundTrip: UInt64 = 400_000, start: UInt64 = 1_000_000_000
        var board = SACKScoreboard(unacknowledged: base)
        // Five segments lost, the probe (the sixth) SACKed: one segment SACKed above the holes is no loss by RFC 6675,
        // nor by RACK until a quarter of the RTT (the reordering window) has passed.
        board.update(blocks: Recovery.blocks([5000..<6000]), unacknowledged: base, sendMaximum: base + 6000, now: start, roundTrip: roundTrip)
        #expect(!board.isLost(base, segmentSize: segment) && !board.detectsLoss(segmentSize: segment))
        board.planReorderTimer(segmentSize: segment)
        #expect(board.reorderDeadline == start + roundTrip / 4)
        board.update(blocks: Recovery.blocks([5000..<6000]), unacknowledged: base, sendMaximum: base + 6000, now: start + roundTrip / 4,
                     roundTrip: roundTrip)
        #expect(board.detectsLoss(segmentSize: segment))
        board.enterRecovery(flight: 6000, segmentSize: segment)
        #expect(board.inRecovery && board.isLost(base + 4000, segmentSize: segment))
        var sent: [UInt32] = []
        var first = true
        while let hole = board.nextRetransmission(segmentSize: segment, first: first) {
            sent.append(UInt32(hole.sequence - base))
            first = false
        }
        #expect(sent == [0, 1000, 2000], "half the flight (3000 bytes) at once")
        // The acknowledgment of everything ends recovery, and the scoreboard can go.
        board.update(blocks: TCPSACKBlocks(), unacknowledged: base + 6000, sendMaximum: base + 6000, now: start + roundTrip, roundTrip: roundTrip)
        #expect(!board.inRecovery && board.isIdle)
    }
}
