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

@Suite("Async API on stack runtimes", .serialized)
struct AsyncTests {
    @Test("Async client against a low-level echo server: 1 MB over 4 connections, verified", .timeLimit(.minutes(1)),
          arguments: StackRuntime.Schedule.threaded)
    func asyncClientAgainstLowLevelServer(schedule: StackRuntime.Schedule) async throws {
        let wire = try InMemoryWire(capacity: 4096)
        let bytes = 1 << 18
        let stacks = Escaped<[FlexTCPStack]>()
        let (verified, server) = try await FlexTCPStack.run(on: wire.second, configuration: .testing(TestAddresses.server, schedule: schedule)) { serverStack in
            let deadline = Deadline(seconds: 50)
            let server = HandOff(LowLevelEchoServer(context: try serverStack.makeContext(), port: 7, served: 4))
            let serverThread = try JoinableThread { server.value.run(until: deadline) }
            defer { serverThread.join() }
            #expect(deadline.wait(for: server.value.isListening))
            let verified = try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client, schedule: schedule)) { client in
                stacks.set([client, serverStack])
                return try await withWatchdog { try await echoFourConnections(client, bytes: bytes, port: 7) }
            }
            return (verified, server)
        }

        #expect(verified == Array(repeating: bytes, count: 4))
        #expect(server.value.failures.isEmpty, "\(server.value.failures)")
        #expect(server.value.closedConnections == 4 && server.value.echoedBytes == 4 * bytes)
        let (client, serverStack) = try #require(stacks.value.map { ($0[0], $0[1]) })
        #expect(!client.isRunning && !serverStack.isRunning)
        await #expect(throws: TCPError.stopped) { try await client.connect(to: TestAddresses.serverAddress, port: 7) }
    }

    @Test("Async echo server against the async client: 1 MB over 4 connections", .timeLimit(.minutes(1)),
          arguments: StackRuntime.Schedule.threaded)
    func asyncServerAgainstAsyncClient(schedule: StackRuntime.Schedule) async throws {
        let wire = try InMemoryWire(capacity: 4096)
        let bytes = 1 << 18
        let (verified, echoed, listener) = try await FlexTCPStack.run(on: wire.second, configuration: .testing(TestAddresses.server, schedule: schedule)) { server in
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
            let verified = try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client, schedule: schedule)) { client in
                try await withWatchdog { try await echoFourConnections(client, bytes: bytes, port: 7) }
            }
            return (verified, try await echoed, listener)
        }

        #expect(verified == Array(repeating: bytes, count: 4))
        #expect(echoed == Array(repeating: bytes, count: 4))
        var connections = listener.makeAsyncIterator()
        await #expect(throws: TCPError.stopped) { try await connections.next() }
    }
}
