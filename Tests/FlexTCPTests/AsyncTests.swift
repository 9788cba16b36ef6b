import FlexPort
import FlexTCP
import FlexTCPCore
import Testing

/// One connection of the async client: writes `bytes` of its pattern while reading the echo,
/// checks every byte, and closes once all came back. Returns the bytes verified.
private func echoThroughConnection(_ driver: ContextDriver, index: Int, bytes: Int, port: UInt16) async throws -> Int {
    let connection = try await driver.connect(to: RuntimePair.serverAddress, port: port)
    async let written: Void = {
        var offset = 0
        while offset < bytes {
            let count = min(10_000, bytes - offset)
            try await connection.write((0..<count).map { patternByte(connection: index, offset: offset + $0) })
            offset += count
        }
    }()
    var verified = 0
    while verified < bytes {
        let chunk = try await connection.read(maximumCount: 30_000)
        guard !chunk.isEmpty else { break }
        for (offset, byte) in chunk.enumerated() where byte != patternByte(connection: index, offset: verified + offset) {
            return -1
        }
        verified += chunk.count
    }
    try await written
    try await connection.close()
    #expect(try await connection.read() == [], "the server closes after echoing everything")
    return verified
}

@Suite("Async API on stack runtimes", .serialized)
struct AsyncTests {
    @Test("Async client against a low-level echo server: 1 MB over 4 connections, verified", .timeLimit(.minutes(1)), arguments: StackRuntime.Schedule.threaded)
    func asyncClientAgainstLowLevelServer(schedule: StackRuntime.Schedule) async throws {
        let pair = try RuntimePair(schedule: schedule)
        defer { pair.stop() }
        let deadline = Deadline(seconds: 50)
        let server = HandOff(try LowLevelEchoServer(attachment: pair.server.attachment(for: 0), port: 7, served: 4))
        let serverThread = try JoinableThread { server.value.run(until: deadline) }
        #expect(deadline.wait(for: server.value.isListening))
        let driver = try ContextDriver(attachment: pair.client.attachment(for: 0))
        try driver.start()
        // If anything hangs, stopping the driver ends every pending operation.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(50))
            driver.stop()
        }

        let bytes = 1 << 18
        let verified = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<4 { group.addTask { try await echoThroughConnection(driver, index: index, bytes: bytes, port: 7) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        watchdog.cancel()
        serverThread.join()
        driver.stop()
        pair.stop()

        #expect(verified == Array(repeating: bytes, count: 4))
        #expect(server.value.failures.isEmpty, "\(server.value.failures)")
        #expect(server.value.closedConnections == 4 && server.value.echoedBytes == 4 * bytes)
        #expect(!pair.client.isRunning && !pair.server.isRunning)
        await #expect(throws: TCPError.stopped) { try await driver.connect(to: RuntimePair.serverAddress, port: 7) }
    }

    @Test("Async echo server in the polling form against the async client: 1 MB over 4 connections", .timeLimit(.minutes(1)), arguments: StackRuntime.Schedule.threaded)
    func asyncServerInPollingForm(schedule: StackRuntime.Schedule) async throws {
        let pair = try RuntimePair(schedule: schedule)
        defer { pair.stop() }
        let deadline = Deadline(seconds: 50)
        let server = try ContextDriver(attachment: pair.server.attachment(for: 0))
        let serverDone = SharedFlag()
        // The polling form: this thread's own run-to-completion loop drives the server's context.
        let serverLoop = try JoinableThread {
            while !serverDone.isRaised && !deadline.hasPassed { server.runOnce(waitingUpTo: 10_000_000) }
            server.stop()
        }
        let client = try ContextDriver(attachment: pair.client.attachment(for: 0))
        try client.start()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(50))
            client.stop()
            serverDone.raise()
        }

        let listener = try await server.listen(port: 7)
        let bytes = 1 << 18
        async let echoed = withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                let connection = try await listener.accept()
                group.addTask {
                    var echoed = 0
                    while true {
                        let chunk = try await connection.read()
                        if chunk.isEmpty { break }
                        try await connection.write(chunk)
                        echoed += chunk.count
                    }
                    try await connection.close()
                    return echoed
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let verified = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<4 { group.addTask { try await echoThroughConnection(client, index: index, bytes: bytes, port: 7) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let echoedBytes = try await echoed
        watchdog.cancel()
        serverDone.raise()
        serverLoop.join()
        client.stop()
        pair.stop()

        #expect(verified == Array(repeating: bytes, count: 4))
        #expect(echoedBytes == Array(repeating: bytes, count: 4))
        await #expect(throws: TCPError.stopped) { try await listener.accept() }
    }
}
