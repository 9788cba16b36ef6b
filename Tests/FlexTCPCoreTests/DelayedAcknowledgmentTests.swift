import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// The fast path holds the ACK of an in-order segment for one round so that it rides on the
/// application's answer (or the next segment's ACK), and ACKs at once whatever RFC 1122/5681/3168/2883
/// want ACKed at once.
@Suite("Delayed acknowledgments")
struct DelayedAcknowledgmentTests {
    let pair: FastPathPair
    let batch = FrameBatch(capacity: 64)

    init() throws { pair = try FastPathPair(delaysAcknowledgments: true) }

    /// A puts `bytes` of payload on the wire (one segment per MSS) and B takes them.
    private func segmentsFromA(_ bytes: Int, seed: UInt64 = 1, on pair: FastPathPair? = nil) {
        let pair = pair ?? self.pair
        if bytes > 0 { #expect(pair.send(FastPathPair.pattern(count: bytes, seed: seed)[...], from: pair.a) == bytes) }
        pair.a.transmit(now: pair.clock.now())
        pair.a.port.poll()
        _ = pair.wire.b.receive(into: batch)
        pair.b.processReceived(batch, now: pair.clock.now())
        pair.wire.b.releaseReceived(batch)
        batch.removeAll()
        pair.b.clearEvents()
    }

    /// The TCP segments B sent to A since the last call, with their payload lengths.
    private func segmentsFromB() -> [(segment: TCPSegmentRepr, payloadLength: Int)] {
        pair.b.port.poll()
        return pair.wire.a.receiveCopies(maximum: 64).compactMap { frame in
            guard let parsed = frame.withUnsafeBytes({ try? ParsedFrame(parsing: $0) }),
                  case let .ipv4(_, .tcp(segment)) = parsed.headers.network else { return nil }
            return (segment, parsed.payloadRange.count)
        }
    }

    private var bReceiveNext: SequenceNumber { pair.b.state(of: 0)!.receiveNext }

    @Test("an in-order segment's ACK waits one round, then goes out alone if nothing was sent")
    func heldForOneRound() throws {
        segmentsFromA(64)
        #expect(segmentsFromB().isEmpty, "no ACK right after the segment")
        #expect(pair.b.nextTransmitTime == 0, "a held ACK is work due now: the round must not sleep")
        pair.b.transmit(now: pair.clock.now())
        #expect(segmentsFromB().isEmpty, "the round the data arrived in gives the application its chance")
        pair.b.transmit(now: pair.clock.now())
        let acks = segmentsFromB()
        #expect(acks.count == 1)
        #expect(acks.first?.segment.acknowledgmentNumber == bReceiveNext && acks.first?.payloadLength == 0)
        pair.b.transmit(now: pair.clock.now())
        #expect(segmentsFromB().isEmpty, "one ACK, not two")
        #expect(pair.b.nextTransmitTime == nil)
    }

    @Test("the held ACK rides on the answer: one data segment, no pure ACK")
    func ridesOnTheAnswer() throws {
        segmentsFromA(64)
        pair.b.transmit(now: pair.clock.now())
        #expect(pair.send(FastPathPair.pattern(count: 32, seed: 2)[...], from: pair.b) == 32)
        pair.b.transmit(now: pair.clock.now())
        pair.b.transmit(now: pair.clock.now())
        let sent = segmentsFromB()
        #expect(sent.count == 1)
        #expect(sent.first?.payloadLength == 32 && sent.first?.segment.acknowledgmentNumber == bReceiveNext)
    }

    @Test("a second segment while an ACK is held is ACKed at once, covering both")
    func secondSegmentAtOnce() throws {
        segmentsFromA(64, seed: 3)
        #expect(segmentsFromB().isEmpty)
        segmentsFromA(64, seed: 4)
        let acks = segmentsFromB()
        #expect(acks.count == 1 && acks.first?.segment.acknowledgmentNumber == bReceiveNext)
        pair.b.transmit(now: pair.clock.now())
        pair.b.transmit(now: pair.clock.now())
        #expect(segmentsFromB().isEmpty, "the held entry found its ACK sent")
    }

    @Test("full-sized segments: every second one is ACKed at once, a last odd one a round later")
    func everySecondFullSized() throws {
        segmentsFromA(3 * 1448)
        let acks = segmentsFromB()
        #expect(acks.count == 1, "one ACK for the first two segments")
        #expect(acks.first?.segment.acknowledgmentNumber == bReceiveNext - 1448)
        pair.b.transmit(now: pair.clock.now())
        pair.b.transmit(now: pair.clock.now())
        let last = segmentsFromB()
        #expect(last.count == 1 && last.first?.segment.acknowledgmentNumber == bReceiveNext)
    }

    @Test("a FIN is ACKed at once")
    func finAtOnce() throws {
        #expect(pair.a.closeTransmission(flow: 0, now: pair.clock.now()))
        segmentsFromA(0)
        let acks = segmentsFromB()
        #expect(acks.count == 1 && acks.first?.segment.acknowledgmentNumber == bReceiveNext)
    }

    @Test("out-of-order data is ACKed at once (a duplicate ACK for fast retransmit)")
    func outOfOrderAtOnce() throws {
        // A's first segment is lost: B sees only the second.
        #expect(pair.send(FastPathPair.pattern(count: 1448 + 64, seed: 5)[...], from: pair.a) == 1448 + 64)
        pair.a.transmit(now: pair.clock.now())
        pair.a.port.poll()
        _ = pair.wire.b.receive(into: batch)
        #expect(batch.count == 2)
        let second = FrameBatch(capacity: 1)
        second.append(batch[1])
        pair.b.processReceived(second, now: pair.clock.now())
        pair.wire.b.releaseReceived(batch)
        batch.removeAll()
        pair.b.clearEvents()
        let acks = segmentsFromB()
        #expect(acks.count == 1 && acks.first?.segment.acknowledgmentNumber == bReceiveNext, "a duplicate ACK of RCV.NXT")
    }

    @Test("sendHeldAcknowledgments sends what is held at once; switched off, every segment is ACKed at once")
    func flushAndSwitchOff() throws {
        segmentsFromA(64)
        pair.b.sendHeldAcknowledgments(now: pair.clock.now())
        pair.b.flushTransmitBatch()
        #expect(segmentsFromB().count == 1)

        let immediate = try FastPathPair(delaysAcknowledgments: false)
        segmentsFromA(64, seed: 6, on: immediate)
        #expect(immediate.b.acknowledgmentsSent == 1)
    }
}
