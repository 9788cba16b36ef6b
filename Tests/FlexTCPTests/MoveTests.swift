import FlexTCP
import FlexTCPCore
import Testing

@Suite("Moving connections between contexts")
struct MoveTests {
    @Test("An echo connection moves between two server contexts mid-stream; every byte comes back once, in order", arguments: StackRuntime.Schedule.threaded)
    func moveMidStream(schedule: StackRuntime.Schedule) throws {
        let pair = try RuntimePair(clientContexts: 2, serverContexts: 2, schedule: schedule)
        defer { pair.stop() }
        let deadline = Deadline(seconds: 60)
        let total = 1 << 19
        let origin = HandOff(try LowLevelEchoServer(attachment: pair.server.attachment(for: 0), port: 9, served: 1))
        let destination = HandOff(try LowLevelEchoServer(attachment: pair.server.attachment(for: 1), port: nil, served: 1))
        // A context of the other runtime: a move there must be refused.
        let foreign = try Context(attachment: pair.client.attachment(for: 1))
        origin.value.moveAway = (target: destination.value.context, foreign: foreign, afterBytes: total / 4)
        let threads = try [origin, destination].map { server in try JoinableThread { server.value.run(until: deadline) } }
        #expect(deadline.wait(for: origin.value.isListening))
        let client = try LowLevelEchoClient(attachment: pair.client.attachment(for: 0), count: 1, bytes: total)
        client.run(ports: [9], until: deadline)
        for thread in threads { thread.join() }
        pair.stop()

        #expect(client.failures.isEmpty && origin.value.failures.isEmpty && destination.value.failures.isEmpty, "\(client.failures)")
        #expect(origin.value.moveOutcomes == [.invalidArgument, .foreignContext, nil, .unknownConnection])
        #expect(destination.value.movedIn == 1 && destination.value.closedConnections == 1)
        #expect(origin.value.echoedBytes >= total / 4 && destination.value.echoedBytes > 0, "both contexts echoed part of the stream")
        #expect(origin.value.echoedBytes + destination.value.echoedBytes == total)
        #expect(client.verified == [total] && client.mismatches == 0 && client.closed == 1)
        #expect(origin.value.context.staleEntries == 0 && destination.value.context.staleEntries == 0)
    }
}
