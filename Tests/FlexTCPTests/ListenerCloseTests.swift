@testable import FlexTCP
import FlexTCPCore
import FlexTestSupport
import Testing

/// A server context (198.18.0.2) and a client context (198.18.0.1) on a `SteppedRuntimePair`, each
/// event recorded in order.
final class SteppedContextPair {
    let pair: SteppedRuntimePair
    let server: Context
    let client: Context
    private(set) var serverEvents: [ContextEvent] = []
    private(set) var clientEvents: [ContextEvent] = []

    init(serverContexts: Int = 1) throws {
        pair = try SteppedRuntimePair(serverContexts: serverContexts)
        server = try Context(attachment: pair.server.attachment(for: 0))
        client = try Context(attachment: pair.client.attachment(for: 0))
    }

    /// Steps the runtimes and polls both contexts (and `also`) until `done` (at most 20 s of virtual time).
    @discardableResult
    func run(also: () -> Void = {}, until done: () -> Bool) -> Bool {
        pair.run(maximumRounds: 200_000, round: {
            server.poll { serverEvents.append($0) }
            client.poll { clientEvents.append($0) }
            also()
        }, until: done)
    }

    /// Listens on `port` with the server context and runs until it is listening.
    func serverListening(on port: UInt16) -> Listener {
        let listener = server.listen(on: port)
        #expect(runUntilServer { $0.isListening(listener) })
        return listener
    }

    /// Runs until the server reported an event `matching`.
    @discardableResult
    func runUntilServer(_ matching: (ContextEvent) -> Bool) -> Bool { run { serverEvents.contains(where: matching) } }

    /// Runs until the client reported an event `matching`.
    @discardableResult
    func runUntilClient(_ matching: (ContextEvent) -> Bool) -> Bool { run { clientEvents.contains(where: matching) } }
}

/// Event predicates for one handle.
extension ContextEvent {
    func isListening(_ listener: Listener) -> Bool { if case .listening(let other) = self { other === listener } else { false } }
    func isListenerClosed(_ listener: Listener) -> Bool { if case .listenerClosed(let other) = self { other === listener } else { false } }
    func isConnected(_ connection: Connection) -> Bool { if case .connected(let other) = self { other === connection } else { false } }

    /// The error of a failure event for `connection` (accept or connect), or of its abnormal `closed`.
    func failure(of connection: Connection) -> TCPError? {
        switch self {
        case .acceptFailed(let other, let error), .connectFailed(let other, let error): other === connection ? error : nil
        case .closed(let other, let error): other === connection ? error : nil
        default: nil
        }
    }
}

@Suite("Listener close")
struct ListenerCloseTests {
    @Test("Listen, close, listen again on the same port; a SYN after close is refused; a close before listening waits for it (stepped)")
    func closeFreesThePort() throws {
        let rig = try SteppedContextPair()
        let first = rig.serverListening(on: 7)
        rig.server.close(first)
        #expect(rig.runUntilServer { $0.isListenerClosed(first) })
        #expect(rig.server.accept(on: first) == nil, "a closed listener accepts nothing")

        let refused = rig.client.connect(to: TestWire.addressB, port: 7)
        #expect(rig.runUntilClient { $0.failure(of: refused) != nil })
        #expect(rig.clientEvents.compactMap { $0.failure(of: refused) } == [.refused])

        let second = rig.server.listen(on: 7)
        rig.server.close(second)
        #expect(rig.runUntilServer { $0.isListenerClosed(second) })
        #expect(rig.serverEvents.contains { $0.isListening(second) }, "opened, then closed: the port was free again")
        #expect(rig.serverListening(on: 7).status == .success)
    }

    @Test("Closing a listener resets the connection waiting for an accept; an accept pending at close fails with closed (stepped)")
    func closeResetsWaitingConnectionsAndFailsAccepts() throws {
        let rig = try SteppedContextPair()
        let withConnection = rig.server.listen(on: 7)
        let withAccept = rig.serverListening(on: 8)
        let waiting = rig.client.connect(to: TestWire.addressB, port: 7)
        #expect(rig.runUntilClient { $0.isConnected(waiting) })
        #expect(rig.runUntilServer { if case .incomingConnection = $0 { true } else { false } })
        let pending = try #require(rig.server.accept(on: withAccept))

        rig.server.close(withConnection)
        rig.server.close(withAccept)
        #expect(rig.runUntilServer { $0.isListenerClosed(withAccept) })
        #expect(rig.runUntilServer { $0.isListenerClosed(withConnection) })
        let acceptFailure = try #require(rig.serverEvents.firstIndex { $0.failure(of: pending) != nil })
        #expect(rig.serverEvents[acceptFailure].failure(of: pending) == .closed)
        #expect(acceptFailure < rig.serverEvents.firstIndex { $0.isListenerClosed(withAccept) }!, "the accept fails before the close completes")
        #expect(rig.runUntilClient { $0.failure(of: waiting) != nil })
        #expect(rig.clientEvents.compactMap { $0.failure(of: waiting) } == [.reset])
        #expect(!rig.serverEvents.contains { if case .accepted = $0 { true } else { false } })
    }
}

@Suite("Async listener close", .serialized)
struct AsyncListenerCloseTests {
    @Test("A released TCPListener frees its port: listening again succeeds (stepped stacks)", .timeLimit(.minutes(1)))
    func releasedListenerFreesThePort() async throws {
        try await withStackPair { server, client in
            var listener: TCPListener? = try await server.listen(on: 7)
            #expect(listener?.port == 7)
            listener = nil
            let again = try await server.listen(on: 7)
            let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
            let accepted = try await again.next()
            #expect(accepted?.remotePort == connection.localPort)
        }
    }

    @Test("close(): iterating throws closed, connects are refused, the port is free, a second close throws closed (stepped stacks)",
          .timeLimit(.minutes(1)))
    func explicitClose() async throws {
        try await withStackPair { server, client in
            let listener = try await server.listen(on: 7)
            try await listener.close()
            await #expect(throws: TCPError.closed) { try await listener.next() }
            await #expect(throws: TCPError.closed) { try await listener.close() }
            await #expect(throws: TCPError.refused) { try await client.connect(to: TestAddresses.serverAddress, port: 7) }
            _ = try await server.listen(on: 7)
        }
    }
}
