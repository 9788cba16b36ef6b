import FlexPort
import FlexTCP
@testable import FlexTCPCore
import FlexTestSupport
import Testing

/// A client runtime and a server runtime whose context has a 2-entry event queue, stepped at
/// virtual time; the server's application polls only when the test says so.
private final class StaleAnnouncementScenario {
    let pair: SteppedRuntimePair
    let client: Context
    let server: Context
    private(set) var serverEvents: [ContextEvent] = []
    private(set) var clientEvents: [ContextEvent] = []

    init() throws {
        pair = try WirePair(link: TestWire()) { port, side in
            try StackRuntime(port: port, configuration: TestRuntimes.configuration(side.interface), contextCount: 1,
                             capacities: ContextQueueCapacities(eventEntries: side == .b ? 2 : 256), schedule: .callerDriven)
        }
        client = try Context(attachment: pair.client.attachment(for: 0))
        server = try Context(attachment: pair.server.attachment(for: 0))
    }

    /// Runs rounds (both runtimes, the client's poll and, if `serverPolls`, the server's) until `done`.
    @discardableResult
    func run(rounds: Int = 2_000, serverPolls: Bool, until done: () -> Bool = { false }) -> Bool {
        pair.run(maximumRounds: rounds, round: {
            client.poll { clientEvents.append($0) }
            if serverPolls { server.poll { serverEvents.append($0) } }
        }, until: done)
    }

    /// The server's established flow whose peer port is `port`.
    func serverFlow(remotePort port: UInt16) -> FlowIndex? {
        (0..<FlowIndex(pair.server.fastPath.configuration.flowCapacity)).first { flow in
            pair.server.fastPath.state(of: flow)?.remotePort == port && pair.server.slowPath.state(of: flow) == .established
        }
    }
}

@Suite("Completions that announce a flow are checked against its current binding")
struct StaleAnnouncementTests {
    @Test("An accepted completion that waited for room while its flow was aborted and reused does not open the new connection before its own completion")
    func staleAcceptDoesNotOpenTheReusedFlow() throws {
        let scenario = try StaleAnnouncementScenario()
        let listener = scenario.server.listen(on: 7)
        #expect(scenario.run(serverPolls: true, until: { scenario.serverEvents.contains { if case .listening = $0 { true } else { false } } }))
        _ = scenario.server.accept(on: listener)
        _ = scenario.server.accept(on: listener)
        // Two listener completions the server's application does not take fill its event queue:
        // the completions that follow wait in the runtime's outbox.
        _ = scenario.server.listen(on: 8)
        _ = scenario.server.listen(on: 9)
        scenario.run(rounds: 50, serverPolls: false)

        let first = scenario.client.connect(to: RuntimePair.serverAddress, port: 7)
        #expect(scenario.run(serverPolls: false, until: { first.isOpen }))
        let flow = try #require(scenario.serverFlow(remotePort: first.localPort))
        scenario.run(rounds: 20, serverPolls: false)
        // The first connection ends (reset) while its `accepted` waits for room.
        scenario.pair.server.slowPath.abort(flow, reason: .resetByPeer, resetSentAt: scenario.pair.now)
        #expect(scenario.run(serverPolls: false, until: { !first.isOpen }))

        let second = scenario.client.connect(to: RuntimePair.serverAddress, port: 7)
        #expect(scenario.run(serverPolls: false, until: { second.isOpen }))
        #expect(scenario.serverFlow(remotePort: second.localPort) == flow, "the server reused the aborted connection's flow index")
        let span = scenario.client.reserveSendSpace(100, on: second)
        #expect(scenario.client.sendReserved(span.count, on: second) == 100)
        scenario.run(rounds: 50, serverPolls: false)

        var receivedOnSecond = 0
        scenario.run(serverPolls: true, until: {
            receivedOnSecond = scenario.serverEvents.reduce(0) { total, event in
                if case .received(let connection, let bytes) = event, connection.localPort == 7, connection.remotePort == second.localPort {
                    total + bytes.count
                } else {
                    total
                }
            }
            return receivedOnSecond == 100
        })
        #expect(receivedOnSecond == 100, "the second connection's bytes reached the server's application")
        #expect(scenario.server.staleEntries == 0, "no receive entry came before its connection's completion")
        let accepted = scenario.serverEvents.compactMap { if case .accepted(let connection) = $0 { connection } else { nil } }
        #expect(accepted.count == 2)
        #expect(scenario.serverEvents.contains { if case .closed(let connection, _) = $0 { connection === accepted.first } else { false } })
    }
}
