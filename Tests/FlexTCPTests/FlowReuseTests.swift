import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTestSupport
import Testing

/// A client context with a tiny receive queue and a server context, on two caller-driven runtimes
/// stepped at virtual time; the client's application polls only when the test says so.
private final class FlowReuseScenario {
    let pair: WirePair<StackRuntime>
    let client: Context
    let server: Context
    private(set) var clientEvents: [ContextEvent] = []
    private var listener: Listener?

    init() throws {
        pair = try WirePair(link: TestWire()) { port, side in
            try StackRuntime(port: port, configuration: TestRuntimes.configuration(side.interface), contextCount: 1,
                             capacities: ContextQueueCapacities(receiveEntries: side == .a ? 4 : 256), schedule: .callerDriven)
        }
        client = try Context(attachment: pair.client.attachment(for: 0))
        server = try Context(attachment: pair.server.attachment(for: 0))
    }

    /// The server's turn: listens on port 7, accepts every connection, sends 32 KiB on it and closes it.
    func serve() {
        if listener == nil { listener = server.listen(on: 7) }
        server.poll { event in
            switch event {
            case .listening(let listener):
                _ = server.accept(on: listener)
            case .accepted(let connection):
                let span = server.reserveSendSpace(1 << 15, on: connection)
                server.sendReserved(span.count, on: connection)
                server.close(connection)
                if let listener { _ = server.accept(on: listener) }
            default:
                break
            }
        }
    }

    /// Runs `rounds` rounds: both runtimes, the server, and (if `polling`) the client's poll, whose
    /// events go to `onClientEvent` too.
    func run(rounds: Int, polling: Bool, onClientEvent: (ContextEvent) -> Void = { _ in }, until done: () -> Bool = { false }) {
        pair.run(maximumRounds: rounds, after: { _ in
            serve()
            if polling {
                client.poll { event in
                    clientEvents.append(event)
                    onClientEvent(event)
                }
            }
            return true
        }, until: done)
    }

    func clientSaw(_ matches: (ContextEvent) -> Bool) -> Bool { clientEvents.contains(where: matches) }
}

@Suite("Flow index reuse between a context's connections")
struct FlowReuseTests {
    @Test("A connection reusing the flow index of one the runtime just closed is reported, and the old one closes, while the context's receive queue was full")
    func reusedFlowIndexOpensAfterTheOldClose() throws {
        let scenario = try FlowReuseScenario()
        scenario.run(rounds: 200, polling: true)
        let first = scenario.client.connect(to: RuntimePair.serverAddress, port: 7)
        scenario.run(rounds: 2_000, polling: true, until: { first.isOpen })
        try #require(first.isOpen)
        let firstFlow = first.flow
        // The client stops polling: the server's bytes fill its 4-entry receive queue, the server
        // closes, and the client's close ends the flow while its receive entries still wait.
        scenario.run(rounds: 300, polling: false)
        scenario.client.close(first)
        scenario.run(rounds: 300, polling: false)
        let second = scenario.client.connect(to: RuntimePair.serverAddress, port: 7)
        scenario.run(rounds: 300, polling: false)
        scenario.run(rounds: 2_000, polling: true, until: { second.isOpen && !first.isOpen })
        #expect(second.flow == firstFlow, "the runtime reused the closed connection's flow index")
        #expect(scenario.clientSaw { if case .closed(let connection, _) = $0 { connection === first } else { false } })
        #expect(scenario.clientSaw { if case .connected(let connection) = $0 { connection === second } else { false } },
                "the new connection's completion reached the application")
        #expect(scenario.client.staleEntries == 0)
    }

    @Test("Bytes freed on a connection after the runtime's closed completion are not handed to the runtime (whose flow index is no longer the connection's)")
    func freeAfterClosedCompletionIsIgnored() throws {
        let scenario = try FlowReuseScenario()
        scenario.run(rounds: 200, polling: true)
        let first = scenario.client.connect(to: RuntimePair.serverAddress, port: 7)
        scenario.run(rounds: 2_000, polling: true, until: { first.isOpen })
        try #require(first.isOpen)
        // Unpolled, the bytes, the end of stream and (after the client's close) the runtime's
        // closed completion all wait; one poll then sees the completion before the end of stream.
        scenario.run(rounds: 300, polling: false)
        scenario.client.close(first)
        scenario.run(rounds: 300, polling: false)
        var freedAtEndOfStream: Int?
        scenario.run(rounds: 300, polling: true, onClientEvent: { event in
            if case .endOfStream(let connection) = event, connection === first {
                freedAtEndOfStream = scenario.client.freeReceivedBytes(connection.unfreedByteCount, of: connection)
            }
        }, until: { !first.isOpen })
        scenario.run(rounds: 100, polling: true)
        #expect(!first.isOpen)
        #expect(freedAtEndOfStream == 0, "the connection was finished when its end of stream was reported")
        #expect(scenario.client.rejectedEntries == 0, "no transmit entry for a flow the context no longer holds")
    }
}
