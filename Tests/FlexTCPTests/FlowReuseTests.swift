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

    /// Bytes the server sends on each connection it accepts (`sendsOnAccept`) before it closes it.
    var serverBytes = 1 << 15

    /// The server's turn: listens on port 7, accepts every connection, sends `serverBytes` on it and
    /// closes it (received bytes are freed as they come).
    func serve() {
        if listener == nil { listener = server.listen(on: 7) }
        server.poll { event in
            switch event {
            case .listening(let listener):
                _ = server.accept(on: listener)
            case .accepted(let connection):
                let span = server.reserveSendSpace(serverBytes, on: connection)
                server.sendReserved(span.count, on: connection)
                server.close(connection)
                if let listener { _ = server.accept(on: listener) }
            case .received(let connection, let span):
                server.freeReceivedBytes(span.count, of: connection)
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
        scenario.serverBytes = 0
        scenario.run(rounds: 200, polling: true)
        let first = scenario.client.connect(to: RuntimePair.serverAddress, port: 7)
        scenario.run(rounds: 2_000, polling: true, until: { first.isOpen })
        try #require(first.isOpen)
        let firstFlow = first.flow
        // The client sends 32 KiB and stops polling: the acknowledgments fill its 4-entry receive
        // queue, the server closes (it sends nothing, so the close need not wait for the client's
        // frees), and the client's close ends the flow while its receive entries still wait.
        let span = scenario.client.reserveSendSpace(1 << 15, on: first)
        scenario.client.sendReserved(span.count, on: first)
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

    @Test("An orderly close waits for the application's frees: the end of stream comes first, the bytes freed then reach the runtime, the closed completion follows")
    func closedCompletionWaitsForTheFrees() throws {
        let scenario = try FlowReuseScenario()
        scenario.run(rounds: 200, polling: true)
        let first = scenario.client.connect(to: RuntimePair.serverAddress, port: 7)
        scenario.run(rounds: 2_000, polling: true, until: { first.isOpen })
        try #require(first.isOpen)
        // Unpolled, the bytes and the end of stream wait; the client's close cannot end the flow
        // while the server's 32 KiB are unread.
        scenario.run(rounds: 300, polling: false)
        scenario.client.close(first)
        scenario.run(rounds: 300, polling: false)
        var freedAtEndOfStream: Int?
        scenario.run(rounds: 600, polling: true, onClientEvent: { event in
            if case .endOfStream(let connection) = event, connection === first {
                freedAtEndOfStream = scenario.client.freeReceivedBytes(connection.unfreedByteCount, of: connection)
            }
        }, until: { !first.isOpen })
        #expect(!first.isOpen)
        #expect(freedAtEndOfStream == 1 << 15, "the connection still held its bytes at its end of stream")
        #expect(scenario.clientSaw { if case .closed(let connection, nil) = $0 { connection === first } else { false } })
        #expect(scenario.client.freeReceivedBytes(1, of: first) == 0, "nothing to free once closed")
        #expect(scenario.client.rejectedEntries == 0, "no transmit entry for a flow the context no longer holds")
    }
}
