@testable import FlexTCP
import Testing

@Suite("Typed errors of the async API", .serialized)
struct TCPErrorTests {
    @Test("Connecting to a port nobody listens on throws refused; outside the subnet, unreachable", .timeLimit(.minutes(1)))
    func refusedAndUnreachable() async throws {
        try await withStackPair { _, client in
            await #expect(throws: TCPError.refused) { try await client.connect(to: TestAddresses.serverAddress, port: 4444) }
            await #expect(throws: TCPError.unreachable) { try await client.connect(to: IPv4Address(198, 18, 5, 5), port: 7) }
        }
    }

    @Test("Listening on a port in use throws addressInUse; on port 0, invalidArgument", .timeLimit(.minutes(1)))
    func listenErrors() async throws {
        try await withStackPair { server, _ in
            let first = try await server.listen(on: 7)
            await #expect(throws: TCPError.addressInUse) { try await server.listen(on: 7) }
            await #expect(throws: TCPError.invalidArgument) { try await server.listen(on: 0) }
            #expect(first.port == 7)
        }
    }

    @Test("After close, write and a second close throw closed", .timeLimit(.minutes(1)))
    func closedConnection() async throws {
        try await withStackPair { server, client in
            let listener = try await server.listen(on: 7)
            let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
            try await connection.close()
            await #expect(throws: TCPError.closed) { try await connection.write([1, 2, 3] as [UInt8]) }
            await #expect(throws: TCPError.closed) { try await connection.close() }
            _ = listener
        }
    }

    @Test("A peer that lost the connection (its stack restarted) answers with a reset: reads throw reset", .timeLimit(.minutes(1)))
    func peerReset() async throws {
        let wire = try InMemoryWire()
        try await StackStepper.run { stepper in
            try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client), steppedBy: stepper) { client in
                let (connection, serverSide) = try await FlexTCPStack.run(on: wire.second, configuration: .testing(TestAddresses.server),
                                                                          steppedBy: stepper) { server in
                    let listener = try await server.listen(on: 7)
                    let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
                    let accepted = try #require(try await listener.next())
                    try await connection.write([1] as [UInt8])
                    var inbound = accepted.inbound.makeAsyncIterator()
                    #expect(try await inbound.next().map(Array.init) == [1])
                    // Kept beyond the scope so that it is not closed (no FIN) before its stack stops.
                    return (connection, accepted)
                }
                // A new stack at the server's address knows nothing of the connection.
                try await FlexTCPStack.run(on: wire.second, configuration: .testing(TestAddresses.server), steppedBy: stepper) { _ in
                    try await connection.write([2] as [UInt8])
                    await #expect(throws: TCPError.reset) { _ = try await connection.readToEnd() }
                    await #expect(throws: TCPError.reset) { try await connection.write([3] as [UInt8]) }
                }
                _ = serverSide
            }
        }
    }

    @Test("Connecting to a host that has gone (its address still in the ARP cache) throws timedOut", .timeLimit(.minutes(1)))
    func connectTimesOut() async throws {
        let wire = try InMemoryWire()
        var adjusted = FlexTCPStack.Configuration.testing(TestAddresses.client)
        adjusted.adjustCore = {
            $0.slowPath.initialRetransmissionTimeout = 20_000_000
            $0.slowPath.synRetries = 1
        }
        let configuration = adjusted
        try await StackStepper.run { stepper in
            try await FlexTCPStack.run(on: wire.first, configuration: configuration, steppedBy: stepper) { client in
                // A first connection teaches the client the server's hardware address.
                try await FlexTCPStack.run(on: wire.second, configuration: .testing(TestAddresses.server), steppedBy: stepper) { server in
                    let listener = try await server.listen(on: 7)
                    _ = try await client.connect(to: TestAddresses.serverAddress, port: 7)
                    _ = listener
                }
                // The server is gone: nothing answers the SYN and its one retry (on the stepper's virtual time).
                await #expect(throws: TCPError.timedOut) { try await client.connect(to: TestAddresses.serverAddress, port: 8) }
            }
        }
    }
}
