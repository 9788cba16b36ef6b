import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTestSupport
import Foundation
import Testing

/// A client written against the low-level API: `count` connections, each sending `bytes` of its
/// pattern, checking the echo byte for byte, and closing once all of it came back.
final class LowLevelEchoClient {
    let context: Context
    let bytes: Int
    private(set) var verified: [Int]
    private(set) var mismatches = 0
    private(set) var closed = 0
    private(set) var failures: [String] = []
    private var connections: [Connection] = []
    private var sent: [Int]

    init(attachment: ContextAttachment, count: Int, bytes: Int) throws {
        context = try Context(attachment: attachment)
        self.bytes = bytes
        verified = Array(repeating: 0, count: count)
        sent = Array(repeating: 0, count: count)
    }

    /// Connects connection `i` to `ports[i]` and runs on this thread until all are closed or the
    /// deadline passes, waiting on the context when idle.
    func run(ports: [UInt16], until deadline: Deadline) {
        start(ports: ports)
        while !isDone && !deadline.hasPassed {
            if !runRound() { context.wait(timeout: .milliseconds(50)) }
        }
        finish()
    }

    /// Connects connection `i` to `ports[i]`.
    func start(ports: [UInt16]) {
        connections = ports.map { context.connect(to: RuntimePair.serverAddress, port: $0) }
    }

    /// True once `start` asked for the connections.
    var isStarted: Bool { !connections.isEmpty }

    /// True once every connection has closed.
    var isDone: Bool { isStarted && closed >= connections.count }

    /// One pass: polls the context and sends what fits; true if an event came or a byte moved.
    func runRound() -> Bool {
        let events = context.poll(handle)
        var moved = 0
        for (index, connection) in connections.enumerated() where connection.isOpen { moved += send(index, connection) }
        return events > 0 || moved > 0
    }

    /// After the last round: rejected entries are failures.
    func finish() {
        if context.rejectedEntries > 0 { failures.append("rejected: \(context.rejectedEntries) entries") }
    }

    private func handle(_ event: ContextEvent) {
        switch event {
        case .connectFailed(_, let error):
            failures.append("connect: \(error)")
        case .received(let connection, let span):
            guard let index = connections.firstIndex(where: { $0 === connection }) else { return }
            var chunk = [UInt8](repeating: 0, count: span.count)
            chunk.withUnsafeMutableBytes { span.copyBytes(to: $0) }
            for (offset, byte) in chunk.enumerated() where byte != patternByte(connection: index, offset: verified[index] + offset) {
                mismatches += 1
            }
            verified[index] += span.count
            context.freeReceivedBytes(span.count, of: connection)
            if verified[index] == bytes { context.close(connection) }
        case .closed:
            closed += 1
        case .listening, .listenFailed, .listenerClosed, .incomingConnection, .accepted, .acceptFailed, .connected, .sendSpaceAvailable,
             .endOfStream, .moved, .moveFailed, .movedIn:
            break
        }
    }

    private func send(_ index: Int, _ connection: Connection) -> Int {
        let space = context.reserveSendSpace(bytes - sent[index], on: connection)
        guard space.count > 0 else { return 0 }
        let chunk = (0..<space.count).map { patternByte(connection: index, offset: sent[index] + $0) }
        space.copyBytes(from: chunk)
        sent[index] += context.sendReserved(space.count, on: connection)
        return space.count
    }
}

/// Hands a non-Sendable value to exactly one other thread; the test reads it after joining.
final class HandOff<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// One run of two low-level echo servers in two contexts of a server runtime and a client moving
/// 1 MB over 4 connections (256 KiB each, two per server), finished or out of rounds or time.
struct FourConnectionEcho {
    let client: LowLevelEchoClient
    let servers: [HandOff<LowLevelEchoServer>]
    /// Whether both runtimes' threads had ended when the run was over (stepped runtimes have none).
    let runtimesStopped: Bool
    static let ports: [UInt16] = [7, 8, 7, 8]

    /// On runtimes stepped on this thread at virtual time, the servers and the client taking their turns after each round.
    init() throws {
        let pair = try SteppedRuntimePair(serverContexts: 2)
        let servers = try (0..<2).map { HandOff(try LowLevelEchoServer(attachment: pair.server.attachment(for: $0), port: UInt16(7 + $0), served: 2)) }
        let client = try LowLevelEchoClient(attachment: pair.client.attachment(for: 0), count: 4, bytes: 1 << 18)
        for server in servers { server.value.start() }
        pair.run(round: {
            for server in servers { _ = server.value.runRound() }
            if !client.isStarted && servers.allSatisfy({ $0.value.isListening.isRaised }) { client.start(ports: Self.ports) }
            if client.isStarted { _ = client.runRound() }
        }, until: { client.isDone && servers.allSatisfy { $0.value.isDone } })
        for server in servers { server.value.finish() }
        client.finish()
        (self.client, self.servers) = (client, servers)
        runtimesStopped = !pair.client.isRunning && !pair.server.isRunning
    }

    /// On runtimes with threads of their own (`schedule`), each server on a thread of its own and the client on this one.
    init(schedule: StackRuntime.Schedule) throws {
        let pair = try RuntimePair(serverContexts: 2, schedule: schedule)
        defer { pair.stop() }
        let deadline = Deadline(seconds: 60)
        let servers = try (0..<2).map { HandOff(try LowLevelEchoServer(attachment: pair.server.attachment(for: $0), port: UInt16(7 + $0), served: 2)) }
        let threads = try servers.map { server in try JoinableThread { server.value.run(until: deadline) } }
        _ = servers.allSatisfy { deadline.wait(for: $0.value.isListening) }
        let client = try LowLevelEchoClient(attachment: pair.client.attachment(for: 0), count: 4, bytes: 1 << 18)
        client.run(ports: Self.ports, until: deadline)
        for thread in threads { thread.join() }
        pair.stop()
        (self.client, self.servers) = (client, servers)
        runtimesStopped = !pair.client.isRunning && !pair.server.isRunning
    }

    /// Every connection's bytes came back once, in order, and every connection closed.
    var succeeded: Bool { client.verified == Array(repeating: 1 << 18, count: 4) && client.mismatches == 0 && client.closed == 4 }

    /// The tests' expectations of a run.
    func check() {
        #expect(servers.allSatisfy { $0.value.isListening.isRaised })
        #expect(client.failures.isEmpty && servers.allSatisfy { $0.value.failures.isEmpty }, "\(client.failures)")
        #expect(client.verified == Array(repeating: 1 << 18, count: 4))
        #expect(client.mismatches == 0)
        #expect(client.closed == 4 && servers.allSatisfy { $0.value.closedConnections == 2 })
        #expect(servers.map(\.value.echoedBytes) == [1 << 19, 1 << 19], "each context echoed its own two connections")
        #expect(client.context.staleEntries == 0 && servers.allSatisfy { $0.value.context.staleEntries == 0 },
                "no entry trails the completion that ends its connection")
        #expect(runtimesStopped)
    }
}

@Suite("Low-level API on stack runtimes")
struct LowLevelTests {
    @Test("Two low-level echo servers in two contexts of one runtime; a client moves 1 MB over 4 connections (stepped runtimes, virtual time)")
    func echoOverFourConnections() throws {
        try FourConnectionEcho().check()
    }

    @Test("Two low-level echo servers in two contexts of one runtime; a client moves 1 MB over 4 connections (runtime threads, real time)",
          arguments: StackRuntime.Schedule.threaded)
    func echoOverFourConnectionsOnThreads(schedule: StackRuntime.Schedule) throws {
        try FourConnectionEcho(schedule: schedule).check()
    }
}
