import FlexPort
import FlexTCP
import FlexTCPCore
import FlexWire
import Foundation
import Testing

/// This test process attaches to a flextcpd as an application (`FlexTCPStack.withAttachedStack`),
/// in the second application slot (another process holds the first), so local and runtime context
/// numbers differ.
@Suite("An application attached to flextcpd", .serialized)
struct AttachedStackTests {
    private static let peer = IPv4Address(198, 18, 0, 2)

    @Test("Contexts of an attached stack connect, move a connection between them, and echo through the service")
    func connectMoveAndEcho() throws {
        try inSecondSlot { stack in
            #expect(stack.address == IPv4Address(198, 18, 0, 1))
            let first = try stack.makeContext()
            let second = try stack.makeContext()
            let connection = first.connect(to: Self.peer, port: 7)
            #expect(poll(first) { if case .connected = $0 { true } else { false } })
            first.move(connection, to: second)
            #expect(poll(first) { if case .moved = $0 { true } else { false } })
            #expect(poll(second) { if case .movedIn = $0 { true } else { false } }, "moved within the application")
            let message = Array("through the service".utf8)
            let span = second.reserveSendSpace(message.count, on: connection)
            #expect(span.copyBytes(from: message) == message.count)
            second.sendReserved(message.count, on: connection)
            var echoed: [UInt8] = []
            #expect(poll(second) { event in
                if case .received(_, let received) = event {
                    echoed += Array(received)
                    second.freeReceivedBytes(received.count, of: connection)
                }
                return echoed.count >= message.count
            })
            #expect(echoed == message)
        }
    }

    @Test("The async API of an attached stack echoes through the service, and fails with stopped once the service shuts down")
    func asyncEcho() async throws {
        let service = try TestService()
        let message = Array(repeating: UInt8(0x5A), count: 100_000)
        try await FlexTCPStack.attach(service: service.socketPath) { stack in
            let connection = try await stack.connect(to: Self.peer, port: 7)
            try await connection.write(message)
            var echoed = 0
            for try await bytes in connection.inbound {
                #expect(bytes.allSatisfy { $0 == 0x5A })
                echoed += bytes.count
                if echoed >= message.count { break }
            }
            #expect(echoed == message.count)
            #expect(service.terminate() == 0)
            // The service's goodbye ends the scope for the async API.
            var stopped = false
            for _ in 0..<200 where !stopped {
                do {
                    _ = try await stack.connect(to: Self.peer, port: 7)
                } catch {
                    stopped = (error as? TCPError) == .stopped
                }
                if !stopped { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(stopped)
        }
    }

    @Test("A move into another application's context is refused by the service")
    func crossApplicationMove() throws {
        try inSecondSlot { stack in
            // Raw entries on a context of ours, as a misbehaving library would write them.
            let attachment = stack.attachment(for: 1)
            #expect(attachment.runtimeContext >= 4, "the second application's contexts follow the first's")
            let endpoint = ApplicationContextEndpoint(queues: try attachment.region.queues(1), signals: attachment.region.signals(1))
            #expect(endpoint.submit(.openConnection(address: Self.peer, port: 7, opaque: 1)))
            let opened = waitForEvent(endpoint) { if case .connected(let opened) = $0 { opened } else { nil } }
            let flow = try #require(opened).flow
            #expect(endpoint.submit(.move(flow: flow, context: 0)))
            let status = waitForEvent(endpoint) { if case .moved(_, flow, _, let status) = $0 { status } else { nil } }
            #expect(status == .noSuchContext)
        }
    }

    @Test("A port another application listens on is refused; once that application leaves, its listener is closed and the port free")
    func portOwnership() throws {
        let service = try TestService()
        try FlexTCPStack.withAttachedStack(service: service.socketPath) { holder in
            let holding = try holder.makeContext()
            _ = holding.listen(on: 5000)
            #expect(poll(holding) { if case .listening = $0 { true } else { false } })
            try FlexTCPStack.withAttachedStack(service: service.socketPath) { other in
                let context = try other.makeContext()
                _ = context.listen(on: 5000)
                #expect(poll(context) { if case .listenFailed(_, .addressInUse) = $0 { true } else { false } })
            }
        }
        #expect(service.daemon.waitUntil(seconds: 10) { service.logLines(containing: "listenersClosed=1").count == 1 })
        try FlexTCPStack.withAttachedStack(service: service.socketPath) { next in
            let context = try next.makeContext()
            _ = context.listen(on: 5000)
            #expect(poll(context) { if case .listening = $0 { true } else { false } })
        }
        #expect(service.terminate() == 0)
    }

    /// Runs `body` with a stack attached to a new flextcpd whose first slot another process holds.
    private func inSecondSlot(_ body: (FlexTCPStack) throws -> Void) throws {
        let service = try TestService()
        let other = try service.send(bytes: 50_000_000, connections: 1, seed: 1)
        #expect(service.daemon.waitUntil(seconds: 20) { !service.logLines(containing: "attach").isEmpty })
        try FlexTCPStack.withAttachedStack(service: service.socketPath, body)
        kill(other.process.processIdentifier, SIGKILL)
        #expect(service.terminate() == 0)
    }

    /// Polls `context` (waiting in between) until `matches` accepts an event or 10 s pass.
    private func poll(_ context: Context, until matches: (ContextEvent) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(10)
        var matched = false
        while !matched && Date() < end {
            if context.poll({ event in if matches(event) { matched = true } }) == 0 { context.wait(timeout: .milliseconds(10)) }
        }
        return matched
    }

    private func waitForEvent<Value>(_ endpoint: ApplicationContextEndpoint, _ extract: (SlowPathEvent) -> Value?) -> Value? {
        let events = UnsafeMutableBufferPointer<SlowPathEvent>.allocate(capacity: 16)
        defer { events.deallocate() }
        let end = Date().addingTimeInterval(10)
        while Date() < end {
            endpoint.flush()
            let count = endpoint.pollEvents(into: events)
            for event in events.prefix(count) { if let value = extract(event) { return value } }
            if count == 0 { _ = endpoint.wait(timeoutNanoseconds: 10_000_000) }
        }
        return nil
    }
}
