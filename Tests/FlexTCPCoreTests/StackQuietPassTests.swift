import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

/// `Stack.poll`'s quiet passes (cut short when nothing can be due) and `Stack.transmit` after the
/// application served its flows, on a pair of embedded stacks with one idle connection.
@Suite("Embedded stack: quiet passes")
struct StackQuietPassTests {
    /// A pair with one established connection on port 7, polled until neither side has anything left to do.
    private static func idleConnection() throws -> (pair: StackTestPair, client: FlowIndex, server: FlowIndex) {
        let pair = try StackTestPair()
        try pair.server.listen(port: 7)
        let client = try pair.client.connect(to: StackTestPair.serverAddress, port: 7, now: pair.now)
        var server: FlowIndex?
        let established = pair.run(step: { _ in if server == nil { server = pair.server.accept(port: 7) } },
                                   until: { server != nil && pair.client.phase(of: client) == .open })
        try #require(established)
        let now = pair.now
        for _ in 0..<4 {
            pair.client.poll(now: now)
            pair.server.poll(now: now)
        }
        return (pair, client, try #require(server))
    }

    @Test("Passes with nothing to do are quiet, and a quiet stack still takes a frame that arrived")
    func quietPassNoticesArrivedFrame() throws {
        let (pair, client, server) = try Self.idleConnection()
        let now = pair.now
        let quietBefore = pair.server.quietPasses
        for _ in 0..<10 { #expect(!pair.server.poll(now: now)) }
        #expect(pair.server.quietPasses == quietBefore + 10)

        let message: [UInt8] = Array(1...20)
        #expect(message.withUnsafeBytes { pair.client.write(to: client, from: $0, now: now) } == 20)
        #expect(pair.client.poll(now: now), "the client's next pass sends the bytes written since")
        #expect(pair.server.poll(now: now), "the frame on the wire makes the server's pass a full one")
        #expect(pair.server.quietPasses == quietBefore + 10)
        #expect(pair.server.readableBytes(on: server) == 20)
    }

    @Test("A write between polls is sent by the next pass, not left behind by a quiet one")
    func writeBetweenPollsIsSent() throws {
        let (pair, client, _) = try Self.idleConnection()
        let now = pair.now
        let sentBefore = pair.wire.a.statistics.transmittedFrames
        let quietBefore = pair.client.quietPasses
        let bytes: [UInt8] = Array(repeating: 7, count: 100)
        #expect(bytes.withUnsafeBytes { pair.client.write(to: client, from: $0, now: now) } == 100)
        #expect(pair.client.poll(now: now))
        #expect(pair.client.quietPasses == quietBefore)
        #expect(pair.wire.a.statistics.transmittedFrames == sentBefore + 1)
    }

    @Test("An answer written after the poll leaves with `transmit` in the same step, carrying the request's ACK")
    func answerCarriesAcknowledgment() throws {
        let (pair, client, server) = try Self.idleConnection()
        let now = pair.now
        let request: [UInt8] = Array(repeating: 1, count: 64)
        #expect(request.withUnsafeBytes { pair.client.write(to: client, from: $0, now: now) } == 64)
        pair.client.poll(now: now)
        let acknowledgmentsBefore = pair.server.fastPath.acknowledgmentsSent
        let serverSentBefore = pair.wire.b.statistics.transmittedFrames
        pair.server.poll(now: now)
        var answer = [UInt8](repeating: 0, count: 64)
        #expect(answer.withUnsafeMutableBytes { pair.server.read(from: server, into: $0, now: now) } == 64)
        #expect(answer.withUnsafeBytes { pair.server.write(to: server, from: $0, now: now) } == 64)
        #expect(pair.server.transmit(now: now) == 1)
        #expect(pair.wire.b.statistics.transmittedFrames == serverSentBefore + 1, "one segment: the answer")
        #expect(pair.server.fastPath.acknowledgmentsSent == acknowledgmentsBefore, "no pure ACK: it rode on the answer")
        pair.client.poll(now: now)
        #expect(pair.client.readableBytes(on: client) == 64)
        let clientState = try #require(pair.client.fastPath.state(of: client))
        #expect(clientState.sendUnacknowledged == clientState.sendNext, "the request is acknowledged")
    }
}
