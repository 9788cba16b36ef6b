@testable import FlexTCP
import FlexTCPCore

/// Runs `body` with a server stack (198.18.0.2) and a client stack (198.18.0.1) on the two ends of
/// a fresh in-memory wire, both stepped by a `StackStepper` on virtual time and stopped when it
/// returns; cancelled after the stepper's rounds.
func withStackPair<Result: Sendable>(_ body: @escaping @Sendable (_ server: FlexTCPStack, _ client: FlexTCPStack) async throws -> Result)
    async throws -> Result {
    let wire = try InMemoryWire()
    return try await withStackPair(on: wire, body)
}

/// `withStackPair` on a given wire (whose ends must be free).
func withStackPair<Result: Sendable>(on wire: InMemoryWire,
                                     _ body: @escaping @Sendable (_ server: FlexTCPStack, _ client: FlexTCPStack) async throws -> Result)
    async throws -> Result {
    try await StackStepper.run { stepper in
        try await FlexTCPStack.run(on: wire.second, configuration: .testing(TestAddresses.server), steppedBy: stepper) { server in
            try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client), steppedBy: stepper) { client in
                try await body(server, client)
            }
        }
    }
}

extension TCPConnection {
    /// Every byte until the end of the stream.
    func readToEnd() async throws(TCPError) -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in inbound { bytes += chunk }
        return bytes
    }
}

extension TCPListener {
    /// The next connection.
    func next() async throws(TCPError) -> TCPConnection? {
        var connections = makeAsyncIterator()
        return try await connections.next()
    }
}
