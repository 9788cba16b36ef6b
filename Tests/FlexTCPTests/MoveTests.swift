import FlexTCP
import FlexTCPCore
import FlexTestSupport
import Testing

@Suite("Moving connections between contexts")
struct MoveTests {
    @Test("An echo connection moves between two server contexts mid-stream; every byte comes back once, in order (stepped runtimes)")
    func moveMidStream() throws {
        let pair = try SteppedRuntimePair(clientContexts: 2, serverContexts: 2)
        let total = 1 << 19
        let origin = try LowLevelEchoServer(attachment: pair.server.attachment(for: 0), port: 9, served: 1)
        let destination = try LowLevelEchoServer(attachment: pair.server.attachment(for: 1), port: nil, served: 1)
        // A context of the other runtime: a move there must be refused.
        let foreign = try Context(attachment: pair.client.attachment(for: 1))
        origin.moveAway = (target: destination.context, foreign: foreign, afterBytes: total / 4)
        for server in [origin, destination] { server.start() }
        #expect(pair.run(round: { _ = origin.runRound() }, until: { origin.isListening.isRaised }))
        let client = try LowLevelEchoClient(attachment: pair.client.attachment(for: 0), count: 1, bytes: total)
        client.start(ports: [9])
        pair.run(round: {
            for server in [origin, destination] { _ = server.runRound() }
            _ = client.runRound()
        }, until: { client.isDone && origin.isDone && destination.isDone })
        for server in [origin, destination] { server.finish() }
        client.finish()

        #expect(client.failures.isEmpty && origin.failures.isEmpty && destination.failures.isEmpty, "\(client.failures)")
        #expect(origin.moveOutcomes == [.invalidArgument, .foreignContext, nil, .unknownConnection])
        #expect(destination.movedIn == 1 && destination.closedConnections == 1)
        #expect(origin.echoedBytes >= total / 4 && destination.echoedBytes > 0, "both contexts echoed part of the stream")
        #expect(origin.echoedBytes + destination.echoedBytes == total)
        #expect(client.verified == [total] && client.mismatches == 0 && client.closed == 1)
        #expect(origin.context.staleEntries == 0 && destination.context.staleEntries == 0)
    }
}
