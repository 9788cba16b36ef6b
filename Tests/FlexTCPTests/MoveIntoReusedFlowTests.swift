import FlexPort
import FlexTCP
@testable import FlexTCPCore
import FlexTestSupport
import Testing

@Suite("A connection moves into a context that still holds a finished connection at its flow index")
struct MoveIntoReusedFlowTests {
    @Test("The moved-in connection is reported and the finished one still closes, when the target context had not polled since the runtime finished it")
    func movedInConnectionRetiresTheFinishedOne() throws {
        let pair = try SteppedRuntimePair(clientContexts: 1, serverContexts: 2)
        let client = try Context(attachment: pair.client.attachment(for: 0))
        let origin = try Context(attachment: pair.server.attachment(for: 0))
        let target = try Context(attachment: pair.server.attachment(for: 1))
        var originEvents: [ContextEvent] = []
        var targetEvents: [ContextEvent] = []
        var targetPolls = true
        let round = {
            client.poll { _ in }
            origin.poll { originEvents.append($0) }
            if targetPolls { target.poll { targetEvents.append($0) } }
        }
        func accepted() -> [FlexTCP.Connection] { originEvents.compactMap { if case .accepted(let connection) = $0 { connection } else { nil } } }
        func movedIn() -> [FlexTCP.Connection] { targetEvents.compactMap { if case .movedIn(let connection) = $0 { connection } else { nil } } }
        func moved(_ connection: FlexTCP.Connection) -> Bool {
            originEvents.contains { if case .moved(let moved) = $0 { moved === connection } else { false } }
        }

        let listener = origin.listen(on: 7)
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { originEvents.contains { if case .listening = $0 { true } else { false } } }))
        _ = origin.accept(on: listener)
        _ = origin.accept(on: listener)
        let first = client.connect(to: RuntimePair.serverAddress, port: 7)
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { first.isOpen && accepted().count == 1 }))
        let old = try #require(accepted().first)
        origin.move(old, to: target)
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { movedIn().count == 1 }))
        let flow = old.flow

        // The target stops polling; the runtime ends the old connection (reset) and reuses its flow
        // index for the next one, which the origin accepts and moves to the target too.
        targetPolls = false
        pair.server.slowPath.abort(flow, reason: .resetByPeer, resetSentAt: pair.now)
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { !first.isOpen }))
        let second = client.connect(to: RuntimePair.serverAddress, port: 7)
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { second.isOpen && accepted().count == 2 }))
        let new = accepted()[1]
        #expect(new.flow == flow, "the runtime reused the old connection's flow index")
        origin.move(new, to: target)
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { moved(new) }))

        targetPolls = true
        pair.run(maximumRounds: 200, round: round, until: { movedIn().count == 2 })
        #expect(movedIn().count == 2 && movedIn().last === new, "the moved-in connection was reported")
        #expect(targetEvents.contains { if case .closed(let connection, _) = $0 { connection === old } else { false } },
                "the finished connection still closed")
        #expect(target.staleEntries == 0)
        #expect(new.isOpen)
    }
}
