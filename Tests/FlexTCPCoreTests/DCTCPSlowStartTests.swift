import FlexPort
import Testing
@testable import FlexTCPCore

/// DCTCP's start in virtual time on an uncongested link with a 50 µs RTT (the default DCTCP, capped
/// at 10 Gbit/s): a new connection starts from an initial window of ten segments per handshake RTT,
/// and a bulk flow reaches the line rate within a few RTTs and goes unpaced once the peer's window
/// holds it back.
@Suite("DCTCP slow start")
struct DCTCPSlowStartTests {
    static let roundTrip: UInt64 = 50_000
    /// Virtual time per round: fine enough that the handshake's RTT and the pacing are measured.
    static let step: UInt64 = 1_000

    /// A pair on a link of `gigabits` with 256 KiB rings (above the bandwidth-delay product),
    /// connected with fine steps; returns the pair and both flows.
    static func connectedPair(gigabits: UInt64) throws -> (StackPair, FlowIndex, FlowIndex) {
        var link = LinkEmulatorSettings()
        link.rateBitsPerSecond = gigabits * 1_000_000_000
        link.propagationDelayNanoseconds = roundTrip / 2
        let configuration = StackPair.configuration { $0.receiveRingSize = 256 << 10; $0.transmitRingSize = 256 << 10 }
        let pair = try StackPair(a: configuration, b: configuration, impairment: link)
        // ARP first, so that the SYN's RTT is the handshake's alone.
        try pair.resolveNeighbours()
        try pair.b.slowPath.listen(port: 80, backlog: 4)
        let flowA = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        var accepted: FlowIndex?
        pair.run(step: step) {
            if accepted == nil { accepted = pair.b.slowPath.accept(port: 80) }
            return accepted != nil && pair.a.slowPath.state(of: flowA) == .established
        }
        return (pair, flowA, try #require(accepted))
    }

    @Test("a new connection sends its initial window of ten segments in its first round trip, paced over it")
    func initialWindow() throws {
        let (pair, flowA, _) = try Self.connectedPair(gigabits: 10)
        let segment = Int(try #require(pair.a.fastPath.state(of: flowA)).maximumSegmentSize)
        let data = StackPair.pattern(count: 200_000, seed: 41)
        var offset = 0
        let start = pair.now
        pair.run(step: Self.step) {
            if offset < data.count { offset += pair.a.send(data[offset...], on: flowA, now: pair.now) }
            return pair.now >= start + Self.roundTrip + 5 * Self.step
        }
        let state = try #require(pair.a.fastPath.state(of: flowA))
        let sent = Int(state.ackedBytes) + Int(state.sequenceNumbersInFlight)
        // From 10 Mbit/s (the old start) one segment would have left; unpaced, the whole 256 KiB window.
        #expect(sent >= 10 * segment && sent <= 20 * segment, "sent \(sent) bytes in the first RTT (MSS \(segment))")
    }

    @Test("a bulk flow on an uncongested 4 Gbit/s link reaches the line rate within a few round trips and then runs unpaced")
    func bulkReachesLineRate() throws {
        let (pair, flowA, flowB) = try Self.connectedPair(gigabits: 4)
        let data = StackPair.pattern(count: 3_000_000, seed: 42)
        var offset = 0
        let start = pair.now
        #expect(pair.run(step: Self.step, maximumRounds: 50_000) {
            if offset < data.count { offset += pair.a.send(data[offset...], on: flowA, now: pair.now) }
            return pair.b.received[flowB, default: []].count >= data.count
        })
        #expect(pair.b.received[flowB] == data)
        // At the line rate: each 1,448-byte segment is a 1,514-byte frame (with Ethernet framing
        // counted as the emulator counts it, at most 1,538 bytes).
        let lineRateNanoseconds = UInt64(data.count / 1_448 + 1) * 1_538 * 8 / 4
        let elapsed = pair.now - start
        #expect(elapsed <= lineRateNanoseconds + 10 * Self.roundTrip, "took \(elapsed) ns, \(lineRateNanoseconds) ns at the line rate")
        let controller = try #require(pair.a.slowPath.congestionController(of: flowA) as? DCTCPRateController)
        #expect(controller.isInSlowStart && !controller.pacesFlow)
        #expect(pair.a.fastPath.queueManager.rate(of: flowA) == QueueManager.unlimitedRate)
    }
}
