import FlexPort
import FlexTCP
@testable import FlexTCPCore
import FlexTestSupport
import FlexWire
import Testing

/// A stepped runtime pair whose applications run inside the rounds (`step(now:serving:)`): the
/// server echoes (`LowLevelEchoServer`), the client sends one byte at a time and the next once
/// the echo of the last came back.
private final class ServingScenario {
    let pair: SteppedRuntimePair
    let client: Context
    let echo: LowLevelEchoServer
    var connection: FlexTCP.Connection?
    var connected = false
    var exchanges = 0
    var wanted = 0
    var echoedWrong = 0
    /// Requests the client makes inside its next serving turn.
    var clientWork: (() -> Void)?

    init() throws {
        pair = try SteppedRuntimePair()
        client = try Context(attachment: pair.client.attachment(for: 0))
        echo = try LowLevelEchoServer(attachment: pair.server.attachment(for: 0), port: 7, served: 1)
        echo.start()
        #expect(run(rounds: 1_000, until: { self.echo.isListening.isRaised }), "the server listens")
    }

    /// Rounds of both runtimes with their applications inside, until `done` (at most `rounds`);
    /// whether `done` held, and the rounds run.
    @discardableResult
    func run(rounds: Int, until done: () -> Bool = { false }) -> Bool {
        pair.link.run(step: 100_000, maximumRounds: rounds, until: done) { now in
            _ = pair.server.step(now: now) {
                _ = echo.runRound()
                echo.context.flush()
            }
            _ = pair.client.step(now: now) { serveClient() }
            return true
        }
    }

    private func serveClient() {
        if let work = clientWork {
            clientWork = nil
            work()
        }
        var answered = false
        client.poll { event in
            switch event {
            case .connected(let opened): connected = opened === connection
            case .received(let on, let span):
                if span.count != 1 || span[0] != UInt8(truncatingIfNeeded: exchanges) { echoedWrong += 1 }
                client.freeReceivedBytes(span.count, of: on)
                exchanges += 1
                answered = true
            default: break
            }
        }
        if let connection, connected, exchanges < wanted, answered || exchanges == 0 && connection.unacknowledgedByteCount == 0 {
            let space = client.reserveSendSpace(1, on: connection)
            client.sendReserved(space.copyBytes(from: [UInt8(truncatingIfNeeded: exchanges)]), on: connection)
        }
        client.flush()
    }

    /// Connects the client (from inside its serving turn) and runs until the connection is open.
    func connect() -> Bool {
        clientWork = { self.connection = self.client.connect(to: TestAddresses.serverAddress, port: 7) }
        return run(rounds: 1_000, until: { self.connected })
    }
}

@Suite("Serving step: the application inside the runtime's round")
struct ServingStepTests {
    @Test("An echo answered inside the round leaves in the round that received it: one round per exchange, the ACKs riding on the answers")
    func oneRoundPerExchange() throws {
        let scenario = try ServingScenario()
        #expect(scenario.connect(), "the connect made inside a serving turn was taken and completed")
        let acknowledgments = (scenario.pair.client.fastPath.acknowledgmentsSent, scenario.pair.server.fastPath.acknowledgmentsSent)
        scenario.wanted = 50
        var rounds = 0
        let done = scenario.run(rounds: 1_000) {
            rounds += 1
            return scenario.exchanges == 50
        }
        #expect(done, "50 exchanges completed (\(scenario.exchanges))")
        #expect(scenario.echoedWrong == 0)
        // Without the application inside the round each exchange takes three (the answer and the
        // next question each wait for a round of their own).
        #expect(rounds <= 50 + 2, "rounds for 50 exchanges: \(rounds)")
        // At most one pure ACK from the client in 50 exchanges (an echo it did not answer in the round it came).
        #expect(scenario.pair.client.fastPath.acknowledgmentsSent - acknowledgments.0 <= 1, "pure ACKs from the client")
        #expect(scenario.pair.server.fastPath.acknowledgmentsSent == acknowledgments.1, "no pure ACK from the server")
    }

    @Test("A request made inside a serving turn after quiet rounds is taken in the next round: a close made there ends the connection")
    func requestsAfterQuietRoundsAreTaken() throws {
        let scenario = try ServingScenario()
        #expect(scenario.connect())
        let quiet = scenario.pair.client.statistics.quietRounds
        scenario.run(rounds: 50)
        #expect(scenario.pair.client.statistics.quietRounds - quiet >= 45, "the idle client's rounds were quiet")
        let connection = try #require(scenario.connection)
        scenario.clientWork = { scenario.client.close(connection) }
        #expect(scenario.run(rounds: 100, until: { scenario.echo.closedConnections == 1 }), "the server saw the close and closed too")
        #expect(scenario.echo.failures.isEmpty, "\(scenario.echo.failures)")
    }
}
