@testable import FlexTCP
import FlexPort
import FlexTCPCore
import Testing

/// One connection of the async client: writes `bytes` of its pattern while reading the echo,
/// checks every byte, and closes once all came back. Returns the bytes verified.
private func echoThroughConnection(_ stack: FlexTCPStack, index: Int, bytes: Int, port: UInt16) async throws -> Int {
    let connection = try await stack.connect(to: TestAddresses.serverAddress, port: port)
    async let written: Void = {
        var offset = 0
        while offset < bytes {
            let count = min(10_000, bytes - offset)
            try await connection.write((0..<count).map { patternByte(connection: index, offset: offset + $0) })
            offset += count
        }
    }()
    var verified = 0
    var inbound = connection.inbound.makeAsyncIterator()
    while verified < bytes, let chunk = try await inbound.next() {
        for (offset, byte) in chunk.enumerated() where byte != patternByte(connection: index, offset: verified + offset) {
            return -1
        }
        verified += chunk.count
    }
    try await written
    try await connection.close()
    #expect(try await inbound.next() == nil, "the server closes after echoing everything")
    return verified
}

/// The async client's four connections of `bytes` each, verified; their verified byte counts.
private func echoFourConnections(_ stack: FlexTCPStack, bytes: Int, port: UInt16) async throws -> [Int] {
    try await withThrowingTaskGroup(of: Int.self) { group in
        for index in 0..<4 { group.addTask { try await echoThroughConnection(stack, index: index, bytes: bytes, port: port) } }
        return try await group.reduce(into: []) { $0.append($1) }
    }
}

/// Yields until `flag` is raised (a stepped low-level server's progress); ends when the task is cancelled.
private func waitUntil(_ flag: SharedFlag) async throws {
    while !flag.isRaised {
        try Task.checkCancellation()
        await Task.yield()
    }
}

/// The async echo server on one stack against the async client on another, 1 MB over 4
/// connections, both driven as `driving` says; checks what came back and that the listener ends.
private func asyncServerAgainstAsyncClient(_ driving: StackDriving) async throws {
    let wire = try InMemoryWire(capacity: 4096)
    let bytes = 1 << 18
    let (verified, echoed, listener) = try await driving.run(on: wire.second, address: TestAddresses.server) { server in
        let listener = try await server.listen(on: 7)
        async let echoed = withThrowingTaskGroup(of: Int.self) { group in
            var accepted = 0
            for try await connection in listener {
                group.addTask {
                    var echoed = 0
                    for try await chunk in connection.inbound {
                        try await connection.write(chunk)
                        echoed += chunk.count
                    }
                    try await connection.close()
                    return echoed
                }
                accepted += 1
                if accepted == 4 { break }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let verified = try await driving.run(on: wire.first, address: TestAddresses.client) { client in
            try await driving.bounded { try await echoFourConnections(client, bytes: bytes, port: 7) }
        }
        return (verified, try await echoed, listener)
    }

    #expect(verified == Array(repeating: bytes, count: 4))
    #expect(echoed == Array(repeating: bytes, count: 4))
    var connections = listener.makeAsyncIterator()
    await #expect(throws: TCPError.stopped) { try await connections.next() }
}

@Suite("Async API on stack runtimes", .serialized)
struct AsyncTests {
    @Test("Async client against a low-level echo server: 1 MB over 4 connections, verified (stepped stacks, virtual time)",
          .timeLimit(.minutes(1)))
    func asyncClientAgainstLowLevelServer() async throws {
        let wire = try InMemoryWire(capacity: 4096)
        let bytes = 1 << 18
        let stacks = Escaped<[FlexTCPStack]>()
        let (verified, server) = try await StackStepper.run { stepper in
            try await FlexTCPStack.run(on: wire.second, configuration: .testing(TestAddresses.server), steppedBy: stepper) { serverStack in
                let server = HandOff(LowLevelEchoServer(context: try serverStack.makeContext(), port: 7, served: 4))
                let finished = SharedFlag()
                server.value.start()
                // The server takes its turn after the stacks in every round, until it is done.
                stepper.everyRound {
                    guard !finished.isRaised else { return }
                    _ = server.value.runRound()
                    guard server.value.isDone else { return }
                    server.value.finish()
                    finished.raise()
                }
                try await waitUntil(server.value.isListening)
                let verified = try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client), steppedBy: stepper) { client in
                    stacks.set([client, serverStack])
                    return try await echoFourConnections(client, bytes: bytes, port: 7)
                }
                try await waitUntil(finished)
                return (verified, server)
            }
        }

        #expect(verified == Array(repeating: bytes, count: 4))
        #expect(server.value.failures.isEmpty, "\(server.value.failures)")
        #expect(server.value.closedConnections == 4 && server.value.echoedBytes == 4 * bytes)
        let (client, serverStack) = try #require(stacks.value.map { ($0[0], $0[1]) })
        #expect(!client.isRunning && !serverStack.isRunning)
        await #expect(throws: TCPError.stopped) { try await client.connect(to: TestAddresses.serverAddress, port: 7) }
    }

    @Test("Async echo server against the async client: 1 MB over 4 connections (stepped stacks, virtual time)", .timeLimit(.minutes(1)))
    func asyncServerAgainstAsyncClientStepped() async throws {
        try await StackStepper.run { try await asyncServerAgainstAsyncClient(.stepped($0)) }
    }

    @Test("Async echo server against the async client: 1 MB over 4 connections (stack and driver threads, real time)",
          .timeLimit(.minutes(1)), arguments: StackRuntime.Schedule.threaded)
    func asyncServerAgainstAsyncClientOnThreads(schedule: StackRuntime.Schedule) async throws {
        try await asyncServerAgainstAsyncClient(.threads(schedule))
    }
}
