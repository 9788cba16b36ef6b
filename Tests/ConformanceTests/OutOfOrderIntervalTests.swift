import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// RFC 2018 / RFC 2883 as a receiver holding several out-of-order intervals: each ACK reports them
/// as SACK blocks, the most recently changed first, after a D-SACK block for a duplicate; filling a
/// gap delivers every interval it reaches; a FIN is held beyond the gaps. Hand-made segments of a
/// peer that negotiated SACK (with and without timestamps); receive window 16 KiB.
@Suite("Conformance: several out-of-order intervals as SACK blocks")
struct OutOfOrderIntervalTests {
    /// An established connection whose peer negotiated SACK (and timestamps when `timestamps`).
    static func script(timestamps: Bool) throws -> (ConformanceScript, SequenceNumber, SequenceNumber) {
        let script = try ConformanceScript.established(offer: .init(selectiveAcknowledgment: true, timestamps: timestamps))
        return (script, script.irs + 1, script.iss + 1)
    }

    /// Sends stream bytes `range` (offsets from `peer`) and returns the SACK blocks of the ACK it got.
    @discardableResult
    static func send(_ script: ConformanceScript, _ range: Range<Int>, of stream: [UInt8], peer: SequenceNumber,
                     our: SequenceNumber, fin: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> [TCPSACKBlock] {
        try script.send(fin ? [.ack, .fin] : .ack, seq: peer + UInt32(range.lowerBound), ack: our, payload: Array(stream[range]),
                        sourceLocation: sourceLocation)
        let answers = script.takeSent()
        let answer = try #require(answers.last, "an ACK answers every out-of-order segment", sourceLocation: sourceLocation)
        return Array(answer.segment.options.sackBlocks)
    }

    /// Sends each of `ranges` in turn (see `send`).
    static func sendEach(_ script: ConformanceScript, _ ranges: [Range<Int>], of stream: [UInt8], peer: SequenceNumber,
                         our: SequenceNumber, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for range in ranges { try send(script, range, of: stream, peer: peer, our: our, sourceLocation: sourceLocation) }
    }

    static func block(_ peer: SequenceNumber, _ range: Range<Int>) -> TCPSACKBlock {
        TCPSACKBlock(leftEdge: peer + UInt32(range.lowerBound), rightEdge: peer + UInt32(range.upperBound))
    }

    @Test("RFC 2018 4: four holes give four blocks, most recent first; with timestamps the three most recent fit",
          arguments: [false, true])
    func fourHoles(timestamps: Bool) throws {
        let (script, peer, our) = try Self.script(timestamps: timestamps)
        let stream = ConformanceScript.bytes(100)
        #expect(try Self.send(script, 30..<40, of: stream, peer: peer, our: our) == [Self.block(peer, 30..<40)])
        #expect(try Self.send(script, 10..<20, of: stream, peer: peer, our: our) == [Self.block(peer, 10..<20), Self.block(peer, 30..<40)])
        #expect(try Self.send(script, 70..<80, of: stream, peer: peer, our: our)
                == [Self.block(peer, 70..<80), Self.block(peer, 10..<20), Self.block(peer, 30..<40)])
        let all = [Self.block(peer, 50..<60), Self.block(peer, 70..<80), Self.block(peer, 10..<20), Self.block(peer, 30..<40)]
        #expect(try Self.send(script, 50..<60, of: stream, peer: peer, our: our) == Array(all.prefix(timestamps ? 3 : 4)))
        #expect(script.delivered.isEmpty)
        let flow = try #require(script.flow)
        #expect(script.fastPath.outOfOrderIntervals(of: flow) == all)
    }

    @Test("a disjoint interval beyond the capacity is not taken (not SACKed, not delivered) until the peer sends it again")
    func intervalBeyondCapacityDropped() throws {
        let (script, peer, our) = try Self.script(timestamps: false)
        let capacity = OutOfOrderIntervals.capacity
        let stream = ConformanceScript.bytes(20 * capacity + 20)
        // Holes at 0, 20, 40, …; the intervals fill from the highest down, so the newest is reported first.
        for index in (0..<capacity).reversed() { try Self.send(script, 20 * index + 10..<20 * index + 20, of: stream, peer: peer, our: our) }
        #expect(script.fastPath.frames(withVerdict: .outOfOrderFull) == 0)
        let beyond = 20 * capacity + 10..<20 * capacity + 20
        let blocks = try Self.send(script, beyond, of: stream, peer: peer, our: our)
        #expect(blocks == (0..<4).map { Self.block(peer, 20 * $0 + 10..<20 * $0 + 20) })
        #expect(script.fastPath.frames(withVerdict: .outOfOrderFull) == 1)
        // The gaps fill in one order or another; the dropped interval's bytes come again.
        var random = SeededRandom(seed: 5)
        for index in (0..<capacity).shuffled(using: &random) {
            try Self.send(script, 20 * index..<20 * index + 10, of: stream, peer: peer, our: our)
        }
        #expect(script.delivered == Array(stream[0..<20 * capacity]))
        try Self.send(script, 20 * capacity..<stream.count, of: stream, peer: peer, our: our)
        #expect(script.delivered == stream)
    }

    @Test("a segment that bridges two intervals merges them (and what it overlaps) into one block, reported first")
    func bridgingMerges() throws {
        let (script, peer, our) = try Self.script(timestamps: true)
        let stream = ConformanceScript.bytes(100)
        try Self.sendEach(script, [10..<20, 30..<40, 60..<70], of: stream, peer: peer, our: our)
        #expect(try Self.send(script, 15..<35, of: stream, peer: peer, our: our) == [Self.block(peer, 10..<40), Self.block(peer, 60..<70)])
        // Touching (not overlapping) joins too.
        #expect(try Self.send(script, 40..<60, of: stream, peer: peer, our: our) == [Self.block(peer, 10..<70)])
        try Self.send(script, 0..<10, of: stream, peer: peer, our: our)
        #expect(script.delivered == Array(stream[0..<70]))
    }

    @Test("filling the first gap delivers every interval the new bytes reach, in one event, with the window accounted")
    func gapFillDeliversReachedIntervals() throws {
        let (script, peer, our) = try Self.script(timestamps: true)
        script.applicationReads = false
        let stream = ConformanceScript.bytes(100)
        try Self.sendEach(script, [10..<20, 30..<40, 50..<60], of: stream, peer: peer, our: our)
        // 0..<30 overlaps the first interval and touches the second: both go in order, the third stays.
        try script.send(.ack, seq: peer, ack: our, payload: Array(stream[0..<30]))
        let answer = try script.expect(.segment(flags: .ack, ack: peer + 40, window: 16_384 - 40))
        #expect(Array(answer.segment.options.sackBlocks) == [Self.block(peer, 50..<60)])
        #expect(script.delivered == Array(stream[0..<40]))
        let flow = try #require(script.flow)
        let state = try #require(script.fastPath.state(of: flow))
        #expect(state.receiveSpace == ConformanceScript.ringSize - 40 && state.outOfOrderCount == 1)
    }

    @Test("RFC 2883 4: a duplicate inside an interval is reported as a D-SACK block, then the interval holding it (RFC 2018 4)")
    func duplicateInsideInterval() throws {
        let (script, peer, our) = try Self.script(timestamps: true)
        let stream = ConformanceScript.bytes(100)
        try Self.sendEach(script, [10..<30, 50..<60], of: stream, peer: peer, our: our)
        #expect(try Self.send(script, 15..<25, of: stream, peer: peer, our: our)
                == [Self.block(peer, 15..<25), Self.block(peer, 10..<30), Self.block(peer, 50..<60)])
        // Below RCV.NXT, as before: the D-SACK block first, then the intervals that fit.
        try Self.send(script, 0..<10, of: stream, peer: peer, our: our)
        #expect(try Self.send(script, 0..<5, of: stream, peer: peer, our: our) == [Self.block(peer, 0..<5), Self.block(peer, 50..<60)])
    }

    @Test("a FIN beyond several gaps is held until every gap fills, then taken once")
    func finBeyondGaps() throws {
        let (script, peer, our) = try Self.script(timestamps: false)
        let stream = ConformanceScript.bytes(60)
        try Self.send(script, 50..<60, of: stream, peer: peer, our: our, fin: true)
        try Self.sendEach(script, [10..<20, 30..<40, 0..<10, 40..<50], of: stream, peer: peer, our: our)
        #expect(script.state == .established)
        try script.send(.ack, seq: peer + 20, ack: our, payload: Array(stream[20..<30]))
        try script.expect(.segment(flags: .ack, ack: peer + 61))
        #expect(script.delivered == stream)
        #expect(script.state == .closeWait)
    }

    @Test("a FIN at the end of a lower interval ends the stream there: intervals beyond it are dropped, never delivered")
    func finDropsIntervalsBeyond() throws {
        let (script, peer, our) = try Self.script(timestamps: false)
        let stream = ConformanceScript.bytes(100)
        try Self.sendEach(script, [60..<70, 35..<45], of: stream, peer: peer, our: our)
        #expect(try Self.send(script, 10..<40, of: stream, peer: peer, our: our, fin: true) == [Self.block(peer, 10..<40)])
        // Bytes past the FIN are ignored from now on (unanswered, as in CLOSE-WAIT).
        let flow = try #require(script.flow)
        #expect(script.fastPath.outOfOrderIntervals(of: flow) == [Self.block(peer, 10..<40)])
        try script.send(.ack, seq: peer + 80, ack: our, payload: Array(stream[80..<90]))
        script.expectNothing()
        #expect(script.fastPath.outOfOrderIntervals(of: flow) == [Self.block(peer, 10..<40)])
        try script.send(.ack, seq: peer, ack: our, payload: Array(stream[0..<10]))
        try script.expect(.segment(flags: .ack, ack: peer + 41))
        #expect(script.delivered == Array(stream[0..<40]))
        #expect(script.state == .closeWait)
    }

    @Test("seeded reordering, overlaps and duplicates: every ACK reports the held intervals; every byte arrives intact",
          arguments: [1, 2, 3, 4] as [UInt64])
    func seededReorder(seed: UInt64) throws {
        let (script, peer, our) = try Self.script(timestamps: seed % 2 == 0)
        let flow = try #require(script.flow)
        var random = SeededRandom(seed: seed)
        let stream = (0..<60_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        var sent = 0
        while script.delivered.count < stream.count {
            sent += 1
            try #require(sent < 20_000, "the transfer finishes")
            let next = script.delivered.count
            // Mostly segments ahead of RCV.NXT within the window (the hole at RCV.NXT fills one time in eight).
            let start = Int.random(in: 0..<8, using: &random) == 0
                ? max(0, next - Int.random(in: 0...200, using: &random))
                : next + Int.random(in: 1..<12_000, using: &random)
            let end = min(start + Int.random(in: 1...1_400, using: &random), stream.count)
            guard start < end else { continue }
            let receiveNext = peer + UInt32(next)
            let first = peer + UInt32(start), last = peer + UInt32(end)
            let held = script.fastPath.outOfOrderIntervals(of: flow)
            let duplicate: TCPSACKBlock? = first < receiveNext
                ? TCPSACKBlock(leftEdge: first, rightEdge: last < receiveNext ? last : receiveNext)
                : held.contains { !(first < $0.leftEdge) && !($0.rightEdge < last) } ? TCPSACKBlock(leftEdge: first, rightEdge: last) : nil
            let blocks = try Self.send(script, start..<end, of: stream, peer: peer, our: our)
            let intervals = script.fastPath.outOfOrderIntervals(of: flow)
            #expect(intervals.count <= OutOfOrderIntervals.capacity)
            let expected = Array(((duplicate.map { [$0] } ?? []) + intervals).prefix(seed % 2 == 0 ? 3 : 4))
            #expect(blocks == expected, "segment \(start)..<\(end) with RCV.NXT at \(next), intervals before \(held)")
            #expect(script.delivered == Array(stream[..<script.delivered.count]))
        }
        #expect(script.delivered == stream)
        #expect(script.fastPath.outOfOrderIntervals(of: flow).isEmpty)
    }
}
