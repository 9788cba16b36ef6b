import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTCPTools
import FlexWire
import Testing

/// Two stacks on one in-memory wire, each served by a runtime (the server's with two contexts), stepped on the
/// test's thread on a virtual clock (100 µs per round): the tools' services end to end, repeatably.
final class ServicePair {
    static let serverAddress = IPv4Address(198, 18, 0, 2)
    let clock = VirtualTimeSource(start: 1_000_000_000)
    let wire: MemoryWire
    let client: RuntimeLoop
    let server: RuntimeLoop

    init() throws {
        wire = try MemoryWire(capacity: 4096, maximumFrameLength: 1514)
        client = try RuntimeLoop(port: wire.a, configuration: Self.configuration("198.18.0.1/24"))
        server = try RuntimeLoop(port: wire.b, configuration: Self.configuration("198.18.0.2/24"), contextCount: 2)
    }

    static func configuration(_ interface: String) throws -> StackConfiguration {
        var configuration = StackConfiguration(interface: try InterfaceAddress(interface))
        configuration.flowCapacity = 32
        configuration.slowPath.initialRetransmissionTimeout = 10_000_000
        configuration.timeWaitDuration = 50_000_000
        return configuration
    }

    /// Steps both runtimes, then `step` (the services), advancing the clock each round, until `done`.
    func run(maximumRounds: Int = 200_000, step: () -> Void, until done: () -> Bool) -> Bool {
        for _ in 0..<maximumRounds {
            if done() { return true }
            clock.advance(by: 100_000)
            _ = client.runtime.step(now: clock.now())
            _ = server.runtime.step(now: clock.now())
            step()
        }
        return done()
    }
}

@Suite("The tools' services on contexts")
struct ContextServiceTests {
    @Test("Ten connections echo 1 MB each through two runtimes, verified byte for byte")
    func echoTenConnections() throws {
        let pair = try ServicePair()
        let echo = EchoService(context: try pair.server.makeContext(), port: 7)
        #expect(pair.run(step: { echo.step() }, until: { echo.listenerStatus != nil }))
        #expect(echo.listenerStatus == .success)
        let sender = SendClient(context: try pair.client.makeContext(), to: ServicePair.serverAddress, port: 7,
                                bytesPerConnection: 1_000_000, connections: 10, seed: 5, verifiesEcho: true)
        #expect(pair.run(step: {
            echo.step()
            sender.step()
        }, until: { sender.isFinished && sender.isClosed }))
        let reports = try sender.outcomes.map { try #require($0).get() }
        #expect(reports.count == 10)
        #expect(reports.allSatisfy { $0.bytes == 1_000_000 })
        #expect(Set(reports.map(\.sha256)).count == 10, "each connection carries its own seeded stream")
        #expect(echo.bytesEchoed == 10_000_000)
        #expect(echo.connectionsServed == 10)
        #expect(echo.activeConnections == 0)
    }

    @Test("A sink reports each connection's bytes and the same SHA-256 the sender computed")
    func sinkMatchesSender() throws {
        let pair = try ServicePair()
        let sink = SinkService(context: try pair.server.makeContext(), port: 9)
        let sender = SendClient(context: try pair.client.makeContext(), to: ServicePair.serverAddress, port: 9,
                                bytesPerConnection: 300_001, connections: 3, seed: 11, verifiesEcho: false)
        var received: [StreamReport] = []
        #expect(pair.run(step: {
            sink.step()
            sender.step()
            sink.drainReports { received.append($0) }
        }, until: { sender.isFinished && received.count == 3 }))
        let sent = try sender.outcomes.map { try #require($0).get() }
        #expect(Set(received.map(\.sha256)) == Set(sent.map(\.sha256)))
        #expect(received.allSatisfy { $0.bytes == 300_001 && $0.label.hasPrefix("198.18.0.1:") })
        #expect(sink.failedConnections == 0)
    }

    @Test("Connecting to a port nobody listens on fails as refused")
    func refusedConnection() throws {
        let pair = try ServicePair()
        let sender = SendClient(context: try pair.client.makeContext(), to: ServicePair.serverAddress, port: 99,
                                bytesPerConnection: 10, connections: 1, seed: 1, verifiesEcho: false)
        #expect(pair.run(step: { sender.step() }, until: { sender.isFinished }))
        #expect(sender.outcomes.first??.failureValue == .connectFailed(.refused))
        #expect(sender.outcomes.first??.failureValue?.description == "connection refused (nothing listens on that address and port?)")
    }

    @Test("A second service on a port in use learns it from the listener's status")
    func portInUse() throws {
        let pair = try ServicePair()
        let first = EchoService(context: try pair.server.makeContext(), port: 7)
        let second = SinkService(context: try pair.server.makeContext(1), port: 7)
        #expect(pair.run(step: {
            first.step()
            second.step()
        }, until: { first.listenerStatus != nil && second.listenerStatus != nil }))
        #expect(first.listenerStatus == .success)
        #expect(second.listenerStatus == .addressInUse)
    }
}

extension Result {
    var failureValue: Failure? { if case .failure(let failure) = self { failure } else { nil } }
}
