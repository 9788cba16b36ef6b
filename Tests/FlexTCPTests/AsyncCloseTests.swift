@testable import FlexTCP
import FlexTCPCore
import Synchronization
import Testing

/// What the stepping task records after every round for the test's tasks: rounds so far and the
/// client stack's slow-path counters.
private final class SteppedView: Sendable {
    private let stored = Mutex<(rounds: UInt64, client: SlowPathCounters)>((0, SlowPathCounters()))
    func record(client: SlowPathCounters) { stored.withLock { $0 = ($0.rounds + 1, client) } }
    var rounds: UInt64 { stored.withLock { $0.rounds } }
    var client: SlowPathCounters { stored.withLock { $0.client } }

    /// Yields until `done` holds (the stepper's rounds bound the wait: it cancels).
    func wait(until done: (SteppedView) -> Bool) async throws {
        while !done(self) {
            try Task.checkCancellation()
            await Task.yield()
        }
    }
}

/// Runs `body` with a server and a client stack stepped on virtual time, and the view the stepper
/// updates every round.
private func withViewedStackPair<Result: Sendable>(
    _ body: @escaping @Sendable (_ server: FlexTCPStack, _ client: FlexTCPStack, _ view: SteppedView) async throws -> Result
) async throws -> Result {
    let wire = try InMemoryWire()
    return try await StackStepper.run { stepper in
        // Room for the server's TIME_WAITs (it closes first when a connection is dropped unread).
        var serverConfiguration = FlexTCPStack.Configuration.testing(TestAddresses.server)
        serverConfiguration.connectionCapacity = 128
        return try await FlexTCPStack.run(on: wire.second, configuration: serverConfiguration, steppedBy: stepper) { server in
            try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client), steppedBy: stepper) { client in
                let view = SteppedView()
                stepper.everyRound { view.record(client: client.runtime.slowPath.counters) }
                return try await body(server, client, view)
            }
        }
    }
}

@Suite("Async API: closing")
struct AsyncCloseTests {
    @Test("Write, close, then read late: the echo that came with the peer's FIN is still read in full")
    func lateReadAfterCloseGetsTheEcho() async throws {
        let echoes = try await withViewedStackPair { server, client, view in
            let listener = try await server.listen(on: 7)
            var echoes: [[UInt8]] = []
            for index in 0..<5 {
                let message = Array("message \(index) of 5".utf8)
                let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
                guard let accepted = try await listener.next() else { break }
                try await connection.write(message)
                try await connection.close()
                // The server echoes after the client's end of stream and closes: echo and FIN in one segment,
                // which reaches the client in FIN-WAIT-2 (both directions end there at once).
                try await accepted.write(try await accepted.readToEnd())
                try await accepted.close()
                // The client reads only after its stack had every chance to end the connection.
                let target = view.rounds + 300
                try await view.wait { $0.rounds >= target }
                echoes.append(try await connection.readToEnd())
            }
            return echoes
        }
        #expect(echoes == (0..<5).map { Array("message \($0) of 5".utf8) })
    }

    @Test("A connection dropped unread still ends: what arrives is discarded and the flow is freed")
    func droppedUnreadConnectionEnds() async throws {
        let closes = try await withViewedStackPair { server, client, view in
            let listener = try await server.listen(on: 7)
            // More connections than the client stack holds (32): each must end and give its flow back.
            /// Opens a connection, lets the server send 3,000 bytes and close, and drops it unread and open.
            func openAndDrop(_ index: Int) async throws {
                let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
                guard let accepted = try await listener.next() else { throw TCPError.closed }
                try await accepted.write([UInt8](repeating: UInt8(index), count: 3_000))
                try await accepted.close()
                // Dropped once the server's FIN is in: the client closes second (no TIME_WAIT holds its flow).
                try await view.wait { $0.client.finsReceived >= UInt64(index + 1) }
                withExtendedLifetime(connection) {}
            }
            for index in 0..<40 {
                try await openAndDrop(index)
                try await view.wait { $0.client.connectionsClosed >= UInt64(index + 1) }
            }
            return view.client.connectionsClosed
        }
        #expect(closes >= 40)
    }
}
