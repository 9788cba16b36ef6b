import FlexPort
import FlexTCP
import FlexTCPCore
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

    func run(port: UInt16, until deadline: Deadline) {
        connections = verified.indices.map { _ in context.connect(to: RuntimePair.serverAddress, port: port) }
        while closed < connections.count && !deadline.hasPassed {
            let events = context.poll(handle)
            var moved = 0
            for (index, connection) in connections.enumerated() where connection.isOpen { moved += send(index, connection) }
            if events == 0 && moved == 0 { _ = context.wait(timeoutNanoseconds: 50_000_000) }
        }
    }

    private func handle(_ event: ContextEvent) {
        switch event {
        case .connected(_, let status):
            if status != .success { failures.append("connect: \(status)") }
        case .received(let connection, let span):
            guard let index = connections.firstIndex(where: { $0 === connection }) else { return }
            var chunk = [UInt8](repeating: 0, count: span.count)
            chunk.withUnsafeMutableBytes { span.copyBytes(to: $0.baseAddress!, count: span.count) }
            for (offset, byte) in chunk.enumerated() where byte != patternByte(connection: index, offset: verified[index] + offset) {
                mismatches += 1
            }
            verified[index] += span.count
            context.rxFree(connection, bytes: span.count)
            if verified[index] == bytes { context.close(connection) }
        case .closed:
            closed += 1
        case .rejected(let rejection):
            failures.append("rejected: \(rejection)")
        case .listenerOpened, .newConnection, .accepted, .sendSpaceAvailable, .endOfStream:
            break
        }
    }

    private func send(_ index: Int, _ connection: Connection) -> Int {
        let space = context.txAlloc(connection, bytes: bytes - sent[index])
        guard space.count > 0 else { return 0 }
        let chunk = (0..<space.count).map { patternByte(connection: index, offset: sent[index] + $0) }
        chunk.withUnsafeBytes { space.copyBytes(from: $0.baseAddress!, count: space.count) }
        sent[index] += context.txSend(connection, bytes: space.count)
        return space.count
    }
}

/// Hands a non-Sendable value to exactly one other thread; the test reads it after joining.
final class HandOff<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

@Suite("Low-level API on stack runtimes")
struct LowLevelTests {
    @Test("Low-level echo server and client move 1 MB over 4 connections between two runtimes")
    func echoOverFourConnections() throws {
        let pair = try RuntimePair()
        defer { pair.stop() }
        let deadline = Deadline(seconds: 60)
        let server = HandOff(try LowLevelEchoServer(attachment: pair.server.attachment(for: 0), port: 7, served: 4))
        let serverThread = try JoinableThread { server.value.run(until: deadline) }
        #expect(deadline.wait(for: server.value.isListening))
        let client = try LowLevelEchoClient(attachment: pair.client.attachment(for: 0), count: 4, bytes: 1 << 18)
        client.run(port: 7, until: deadline)
        serverThread.join()
        pair.stop()

        #expect(client.failures.isEmpty && server.value.failures.isEmpty, "\(client.failures) \(server.value.failures)")
        #expect(client.verified == Array(repeating: 1 << 18, count: 4))
        #expect(client.mismatches == 0)
        #expect(client.closed == 4 && server.value.closedConnections == 4)
        #expect(server.value.echoedBytes == 1 << 20)
        #expect(!pair.client.isRunning && !pair.server.isRunning)
    }
}
