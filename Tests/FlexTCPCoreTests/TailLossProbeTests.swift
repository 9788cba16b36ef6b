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
        let configuration = StackPair.configuration { $0.sendsTailLossProbes = probes }
        let pair = try StackPair(a: configuration, b: configuration)
        let (flowA, flowB) = try pair.connect()
        let start = try #require(pair.a.fastPath.state(of: flowA)).sendUnacknowledged
        let data = StackPair.pattern(count: count, seed: 9)
        var offset = 0
        let done = pair.link.run(step: 100_000, maximumRounds: 20_000, until: { pair.b.received[flowB, default: []].count >= count }) { now in
            if offset < count { offset += pair.a.send(data[offset...], on: flowA, now: now) }
            _ = pair.a.runRound(now: now)
            // Between A and B: drop the tail's segments until A first retransmits anything, pass the rest on.
            let firstTransmissions = pair.a.fastPath.segmentsRetransmitted == 0
            for frame in pair.wire.b.receiveCopies(maximum: 4096) {
                if firstTransmissions, let end = Self.dataEnd(of: frame), Int(end - start) > count - lostTail { continue }
                #expect(pair.wire.a.transmit(frame))
            }
            _ = pair.b.runRound(now: now)
            return true
        }
        guard done, pair.b.received[flowB] == data else { return nil }
        return pair.a.slowPath.counters
    }

    /// The sequence number after a TCP segment's payload, for a frame with payload (IPv4, no VLAN).
    static func dataEnd(of frame: [UInt8]) -> SequenceNumber? {
        guard frame.count > 54, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return nil }
        let ipHeader = Int(frame[14] & 0x0F) * 4
        let totalLength = Int(frame[16]) << 8 | Int(frame[17])
        let tcp = 14 + ipHeader
        let tcpHeader = Int(frame[tcp + 12] >> 4) * 4
        let payload = totalLength - ipHeader - tcpHeader
        guard payload > 0 else { return nil }
        let sequence = frame[tcp + 4..<tcp + 8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return SequenceNumber(sequence) + UInt32(payload)
    }

    @Test("the lost tail is repaired after a probe and SACK recovery, without a retransmission timeout; without probes the RTO repairs it")
    func tailRepairedWithoutTimeout() throws {
        let probed = try #require(try Self.transferLosingTail(probes: true))
        #expect(probed.tailLossProbes >= 1 && probed.probeRecoveries >= 1)
        #expect(probed.retransmissionTimeouts == 0)
        let unprobed = try #require(try Self.transferLosingTail(probes: false))
        #expect(unprobed.tailLossProbes == 0 && unprobed.retransmissionTimeouts >= 1)
    }

    @Test("a SACKed probe makes every unSACKed byte below it lost: recovery sends the holes within its budget, where RFC 6675's rule alone waits")
    func probeRecoveryOnTheScoreboard() {
        typealias Recovery = SelectiveRecoveryTests
        let base = Recovery.base, segment = Recovery.segment
        var board = SACKScoreboard()
        // Five segments lost, the probe (the sixth) SACKed: one segment SACKed above the holes is no loss by RFC 6675.
        board.update(blocks: Recovery.blocks([5000..<6000]), unacknowledged: base, sendMaximum: base + 6000)
        #expect(!board.isLost(base, segmentSize: segment))
        board.enterProbeRecovery(unacknowledged: base, sendMaximum: base + 6000, flight: 6000, segmentSize: segment)
        #expect(board.inRecovery && board.isLost(base + 4000, segmentSize: segment))
        var sent: [UInt32] = []
        var first = true
        while let hole = board.nextRetransmission(unacknowledged: base, segmentSize: segment, first: first) {
            sent.append(UInt32(hole.sequence - base))
            first = false
        }
        #expect(sent == [0, 1000, 2000], "half the flight (3000 bytes) at once")
        // The acknowledgment of everything ends recovery and the probe's view with it.
        board.update(blocks: TCPSACKBlocks(), unacknowledged: base + 6000, sendMaximum: base + 6000)
        #expect(!board.inRecovery && board.lostBelow == nil)
    }
}
