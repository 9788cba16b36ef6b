import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// What one ACK from B looked like on the wire, read back with FlexWire.
private struct SeenSegment {
    let segment: TCPSegmentRepr
    let payloadLength: Int
    let frameLength: Int
    /// The TCP header length the frame really has (its data offset), options included.
    var headerLength: Int { frameLength - 14 - 20 - payloadLength }
}

/// A's data reaches B's fast path frame by frame in an order the test picks; B's answers are read
/// back from A's end of the wire (A's fast path never sees them).
private struct Reorderer {
    let pair: FastPathPair
    /// A's segments as copies, in the order A sent them.
    private(set) var segments: [[UInt8]] = []

    init(options: FlowOptions, segments count: Int, initialSequenceA: UInt32 = 1000) throws {
        pair = try FastPathPair(options: options, initialSequenceA: initialSequenceA)
        _ = pair.send(FastPathPair.pattern(count: count * 1448, seed: 21)[...], from: pair.a)
        pair.a.transmit(now: pair.clock.now(), maximumSegments: count)
        segments = pair.wire.b.receiveCopies(maximum: count)
    }

    /// Hands A's segment `index` to B's fast path and returns what B sent back.
    func deliver(_ index: Int) -> [SeenSegment] {
        #expect(pair.wire.a.transmit(segments[index]))
        _ = pair.wire.b.receive(into: pair.receiveBatch)
        pair.b.processReceived(pair.receiveBatch, now: pair.clock.now())
        pair.wire.b.releaseReceived(pair.receiveBatch)
        pair.b.clearEvents()
        return Self.segments(arrivingAt: pair.wire.a)
    }

    /// The TCP segments waiting at `endpoint`, parsed (checksums verified) by FlexWire.
    static func segments(arrivingAt endpoint: MemoryWireEndpoint) -> [SeenSegment] {
        endpoint.receiveCopies(maximum: 256).compactMap { frame in
            let parsed = frame.withUnsafeBytes { try? ParsedFrame(parsing: $0, verifyChecksums: true) }
            guard let parsed, case let .ipv4(_, .tcp(segment)) = parsed.headers.network else { return nil }
            return SeenSegment(segment: segment, payloadLength: parsed.payloadRange.count, frameLength: frame.count)
        }
    }

    /// Sequence number `offset` bytes into A's stream.
    func sequence(_ offset: UInt32) -> SequenceNumber { SequenceNumber(1000) + offset }

    func block(_ from: UInt32, _ to: UInt32) -> TCPSACKBlock {
        TCPSACKBlock(leftEdge: sequence(from), rightEdge: sequence(to))
    }
}

@Suite("Selective acknowledgment (receiver side)")
struct SelectiveAcknowledgmentTests {
    static let segment: UInt32 = 1448

    @Test("SACK is used only when both sides offer it", arguments: [(true, true), (true, false), (false, true), (false, false)])
    func negotiation(offeredByA: Bool, offeredByB: Bool) throws {
        let pair = try StackPair(a: StackPair.configuration { $0.offersSelectiveAcknowledgment = offeredByA },
                                 b: StackPair.configuration { $0.offersSelectiveAcknowledgment = offeredByB })
        let (flowA, flowB) = try pair.connect()
        let agreed = offeredByA && offeredByB
        #expect(try #require(pair.a.fastPath.state(of: flowA)).options.contains(.selectiveAcknowledgment) == agreed)
        #expect(try #require(pair.b.fastPath.state(of: flowB)).options.contains(.selectiveAcknowledgment) == agreed)
        #expect(try #require(pair.a.fastPath.state(of: flowA)).options.contains(.timestamps))
    }

    @Test("SYN and SYN-ACK carry SACK-permitted exactly as configured and offered",
          arguments: [(true, true), (true, false), (false, true), (false, false)])
    func handshakeOptions(configured: Bool, peerOffers: Bool) throws {
        let pair = try StackPair(a: StackPair.configuration { $0.offersSelectiveAcknowledgment = configured })
        let peer = RawPeer(pair: pair)
        // Passive: the SYN-ACK answers SACK-permitted only when both want it.
        try pair.a.slowPath.listen(port: 8080, backlog: 4)
        try peer.send(sourcePort: 5000, destinationPort: 8080, sequence: 100, flags: .syn,
                      options: TCPOptions(maximumSegmentSize: 1460, sackPermitted: peerOffers,
                                          timestamps: TCPTimestamps(value: 9, echoReply: 0)))
        pair.a.step(now: pair.now)
        let synAck = try #require(peer.receivedSegments().first)
        #expect(synAck.flags == [.syn, .ack])
        #expect(synAck.options.sackPermitted == (configured && peerOffers))

        // Active: the SYN offers it as configured.
        try pair.resolveNeighbours()
        _ = peer.receivedSegments()
        _ = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        pair.a.step(now: pair.now)
        let syn = try #require(peer.receivedSegments().first { $0.flags == .syn })
        #expect(syn.options.sackPermitted == configured)
    }

    @Test("each ACK reports the out-of-order interval as one exact SACK block; it goes when the gap fills",
          arguments: [[FlowOptions.timestamps, .selectiveAcknowledgment], [.selectiveAcknowledgment]])
    func blockFollowsInterval(options: FlowOptions) throws {
        let run = try Reorderer(options: options, segments: 4)
        let size = Self.segment
        let timestampBytes = options.contains(.timestamps) ? 12 : 0

        let first = try #require(run.deliver(0).first)
        #expect(first.segment.acknowledgmentNumber == run.sequence(size))
        #expect(first.segment.options.sackBlocks.isEmpty)
        #expect(first.headerLength == 20 + timestampBytes)

        // Segment 1 is missing: segments 2 and 3 form the interval, reported in full each time.
        let afterSecond = try #require(run.deliver(2).first)
        #expect(afterSecond.segment.acknowledgmentNumber == run.sequence(size))
        #expect(Array(afterSecond.segment.options.sackBlocks) == [run.block(2 * size, 3 * size)])
        #expect(afterSecond.headerLength == 20 + timestampBytes + 12)
        #expect((afterSecond.segment.options.timestamps != nil) == options.contains(.timestamps))
        let afterThird = try #require(run.deliver(3).first)
        #expect(Array(afterThird.segment.options.sackBlocks) == [run.block(2 * size, 4 * size)])

        // The gap fills: the cumulative ACK covers everything and no SACK block remains.
        let filled = try #require(run.deliver(1).first)
        #expect(filled.segment.acknowledgmentNumber == run.sequence(4 * size))
        #expect(filled.segment.options.sackBlocks.isEmpty)
        #expect(filled.headerLength == 20 + timestampBytes)
        #expect(try #require(run.pair.b.state(of: 0)).outOfOrderCount == 0)
    }

    @Test("duplicates below RCV.NXT are reported as a D-SACK block ahead of the interval")
    func duplicateReport() throws {
        let run = try Reorderer(options: [.timestamps, .selectiveAcknowledgment], segments: 4)
        let size = Self.segment
        _ = run.deliver(0)
        let duplicate = try #require(run.deliver(0).first)
        #expect(duplicate.segment.acknowledgmentNumber == run.sequence(size))
        #expect(Array(duplicate.segment.options.sackBlocks) == [run.block(0, size)])

        _ = run.deliver(2)
        let both = try #require(run.deliver(0).first)
        #expect(Array(both.segment.options.sackBlocks) == [run.block(0, size), run.block(2 * size, 3 * size)])
        #expect(both.headerLength == 20 + 12 + 4 + 16)

        // The next ACK forgets the duplicate but keeps the interval.
        let next = try #require(run.deliver(3).first)
        #expect(Array(next.segment.options.sackBlocks) == [run.block(2 * size, 4 * size)])
    }

    @Test("without negotiated SACK no ACK carries SACK blocks")
    func withoutNegotiation() throws {
        let run = try Reorderer(options: [.timestamps], segments: 3)
        let answers = run.deliver(0) + run.deliver(2) + run.deliver(0) + run.deliver(1)
        #expect(answers.count == 4)
        #expect(answers.allSatisfy { $0.segment.options.sackBlocks.isEmpty && $0.headerLength == 32 })
    }

    @Test("data sent while an interval is held carries the block and gives up its bytes to stay within the MSS")
    func dataSegmentsCarryBlock() throws {
        let run = try Reorderer(options: [.timestamps, .selectiveAcknowledgment], segments: 3)
        _ = run.deliver(0)
        _ = run.deliver(2)
        let reply = FastPathPair.pattern(count: 4000, seed: 22)
        #expect(run.pair.send(reply[...], from: run.pair.b) == reply.count)
        run.pair.b.transmit(now: run.pair.clock.now())
        let data = Reorderer.segments(arrivingAt: run.pair.wire.a)
        #expect(data.map(\.payloadLength) == [1436, 1436, 4000 - 2 * 1436])
        #expect(data.allSatisfy { Array($0.segment.options.sackBlocks) == [run.block(Self.segment * 2, Self.segment * 3)] })
        #expect(data.allSatisfy { $0.frameLength <= 1514 })
        #expect(data.first?.frameLength == 1514)
    }

    @Test("a lossy link is repaired and the SACK blocks A receives never confuse its go-back-N sender")
    func lossyTransfer() throws {
        var settings = LinkEmulatorSettings()
        settings.dropProbability = 0.03
        settings.seed = 23
        let pair = try FastPathPair(options: [.timestamps, .selectiveAcknowledgment], impairment: settings)
        let data = FastPathPair.pattern(count: 400_000, seed: 24)
        pair.transfer(data, from: pair.a)
        pair.transfer(Array(data.prefix(100_000)), from: pair.b)
        #expect(sameBytes(pair.receivedByB, data))
        #expect(sameBytes(pair.receivedByA, Array(data.prefix(100_000))))
        #expect(try #require(pair.a.state(of: 0)).fastRetransmits > 0)
    }
}
