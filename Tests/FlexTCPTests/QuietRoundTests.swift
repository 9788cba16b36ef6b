import FlexPort
import FlexTCP
@testable import FlexTCPCore
import FlexTestSupport
import FlexWire
import Testing

/// Two stepped runtimes with a context each: the server listens on port 7 and accepts what comes;
/// `clientEvents` keeps what the client context reported.
private final class QuietScenario {
    let pair: SteppedRuntimePair
    let client: Context
    let server: Context
    var clientEvents: [ContextEvent] = []
    var listening = false

    init() throws {
        pair = try SteppedRuntimePair()
        client = try Context(attachment: pair.client.attachment(for: 0))
        server = try Context(attachment: pair.server.attachment(for: 0))
        _ = server.listen(on: 7)
        #expect(run(rounds: 1_000, until: { self.listening }), "the server listens")
    }

    /// The contexts' turn of one round.
    func round() {
        server.poll { event in
            switch event {
            case .listening: listening = true
            case .incomingConnection(let listener, _, _): _ = server.accept(on: listener)
            default: break
            }
        }
        client.poll { clientEvents.append($0) }
    }

    /// Rounds until `done` (at most `rounds`); whether `done` held.
    @discardableResult
    func run(rounds: Int, until done: () -> Bool = { false }) -> Bool { pair.run(maximumRounds: rounds, round: round, until: done) }

    var quietRounds: (client: UInt64, server: UInt64) { (pair.client.statistics.quietRounds, pair.server.statistics.quietRounds) }
}

@Suite("Quiet runtime rounds")
struct QuietRoundTests {
    @Test("A runtime with nothing arrived and nothing due only polls its port, round after round; a SYN arriving still gets its answer in the next round")
    func idleRoundsAreQuietUntilAFrameArrives() throws {
        let scenario = try QuietScenario()
        let before = scenario.quietRounds
        scenario.run(rounds: 100)
        #expect(scenario.quietRounds.server - before.server >= 99, "the listening server's idle rounds are quiet")
        #expect(scenario.quietRounds.client - before.client >= 99, "the idle client's rounds are quiet")

        let connection = scenario.client.connect(to: TestAddresses.serverAddress, port: 7)
        #expect(scenario.run(rounds: 20, until: { connection.isOpen }), "the quiet server answered the SYN")
    }

    @Test("Quiet rounds end at each deadline: a connect to an address nobody answers retransmits its SYN on time and fails as timed out, quiet in between")
    func deadlinesEndQuietRounds() throws {
        let scenario = try QuietScenario()
        let before = scenario.quietRounds.client
        let nobody = try #require(IPv4Address("198.18.0.9"))
        let connection = scenario.client.connect(to: nobody, port: 7)
        let failed = {
            scenario.clientEvents.contains { if case .connectFailed(let failed, .timedOut) = $0 { failed === connection } else { false } }
        }
        #expect(scenario.run(rounds: 200_000, until: failed), "the connect timed out: \(scenario.clientEvents)")
        let counters = scenario.pair.client.slowPath.counters
        #expect(counters.synRetransmissions > 0 && counters.synRetransmissions == counters.synsSent - 1, "the SYN timers ran")
        #expect(scenario.quietRounds.client - before > 1_000, "the rounds between the timers were quiet")
    }

    @Test("A change made through the runtime's parts between rounds ends the quiet rounds: a connection aborted through the slow path is closed for its context at once")
    func changesFromOutsideEndQuietRounds() throws {
        let scenario = try QuietScenario()
        let connection = scenario.client.connect(to: TestAddresses.serverAddress, port: 7)
        #expect(scenario.run(rounds: 1_000, until: { connection.isOpen }))
        let before = scenario.quietRounds.client
        scenario.run(rounds: 50)
        #expect(scenario.quietRounds.client > before, "the established, idle client is quiet")

        scenario.pair.client.slowPath.abort(connection.flow, reason: .resetByPeer)
        let closed = { scenario.clientEvents.contains { if case .closed(let closed, _) = $0 { closed === connection } else { false } } }
        #expect(scenario.run(rounds: 10, until: closed), "the abort reached the context within a few rounds")
    }
}
