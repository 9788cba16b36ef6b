import FlexPort
import FlexTCP
@testable import FlexTCPCore
import FlexTestSupport
import Testing

@Suite("Transmit entries published for a connection the runtime already ended")
struct StaleTransmitEntryTests {
    @Test("Bytes a context sends on a connection before it polls the runtime's closed completion never reach a new connection of the same context on the reused flow index (stepped runtimes)")
    func sendBeforeClosedDoesNotLandOnTheReusedFlow() throws {
        let pair = try SteppedRuntimePair()
        let client = try Context(attachment: pair.client.attachment(for: 0))
        let server = try Context(attachment: pair.server.attachment(for: 0))
        var clientPolls = true
        var serverReceived = 0
        var listening = false
        let listener = server.listen(on: 7)
        let round = {
            if clientPolls { client.poll { _ in } }
            server.poll { event in
                switch event {
                case .listening: listening = true
                case .accepted: _ = server.accept(on: listener)
                case .received(let connection, let bytes):
                    serverReceived += bytes.count
                    server.freeReceivedBytes(bytes.count, of: connection)
                default: break
                }
            }
        }
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { listening }))
        _ = server.accept(on: listener)
        let first = client.connect(to: RuntimePair.serverAddress, port: 7)
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { first.isOpen }))
        let flow = first.flow

        // The runtime ends the first connection (reset); the client's application has not polled
        // its closed completion yet when the second connection reuses the flow index.
        clientPolls = false
        pair.client.slowPath.abort(flow, reason: .resetByPeer, resetSentAt: pair.now)
        pair.run(maximumRounds: 50, round: round, until: { false })
        let second = client.connect(to: RuntimePair.serverAddress, port: 7)
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { pair.client.slowPath.state(of: flow) == .established }),
                "the second connection took the first one's flow index")

        // Still holding the first connection, the application sends on it.
        let span = client.reserveSendSpace(100, on: first)
        #expect(client.sendReserved(span.count, on: first) == 100)
        client.flush()
        clientPolls = true
        #expect(pair.run(maximumRounds: 20_000, round: round, until: { !first.isOpen && second.isOpen }))
        pair.run(maximumRounds: 200, round: round, until: { false })
        #expect(second.flow == flow)
        #expect(serverReceived == 0, "no byte of the first connection was sent on the second")
        #expect(client.rejectedEntries == 0, "a stale entry is dropped, not reported as the library's error")
    }
}
