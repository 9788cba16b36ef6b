import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTCPTools
import FlexTestSupport
import FlexWire
import Testing

/// The tools' services end to end, repeatably: two `RuntimeLoop`s on a `TestWire` (the server's
/// with two contexts), stepped on the test's thread at virtual time.
typealias ServiceLoops = WirePair<RuntimeLoop>

extension WirePair where End == RuntimeLoop {
    convenience init() throws {
        try self.init(link: TestWire()) { port, side in
            try RuntimeLoop(port: port, configuration: TestRuntimes.configuration(side.interface), contextCount: side == .b ? 2 : 1)
        }
    }
}

@Suite("The tools' services on contexts")
struct ContextServiceTests {
    @Test("Ten connections echo 1 MB each through two runtimes, verified byte for byte")
    func echoTenConnections() throws {
        let pair = try ServiceLoops()
        let echo = EchoService(context: try pair.server.makeContext(), port: 7)
        #expect(pair.run(round: { echo.step() }, until: { echo.listenerStatus != nil }))
        #expect(echo.listenerStatus == .success)
        let sender = SendClient(context: try pair.client.makeContext(), to: TestWire.addressB, port: 7,
                                bytesPerConnection: 1_000_000, connections: 10, seed: 5, verifiesEcho: true)
        #expect(pair.run(round: {
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
        let pair = try ServiceLoops()
        let sink = SinkService(context: try pair.server.makeContext(), port: 9)
        let sender = SendClient(context: try pair.client.makeContext(), to: TestWire.addressB, port: 9,
                                bytesPerConnection: 300_001, connections: 3, seed: 11, verifiesEcho: false)
        var received: [StreamReport] = []
        #expect(pair.run(round: {
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
        let pair = try ServiceLoops()
        let sender = SendClient(context: try pair.client.makeContext(), to: TestWire.addressB, port: 99,
                                bytesPerConnection: 10, connections: 1, seed: 1, verifiesEcho: false)
        #expect(pair.run(round: { sender.step() }, until: { sender.isFinished }))
        #expect(sender.outcomes.first??.failureValue == .connectFailed(.refused))
        #expect(sender.outcomes.first??.failureValue?.description == "connection refused (nothing listens on that address and port?)")
    }

    @Test("A second service on a port in use learns it from the listener's status")
    func portInUse() throws {
        let pair = try ServiceLoops()
        let first = EchoService(context: try pair.server.makeContext(), port: 7)
        let second = SinkService(context: try pair.server.makeContext(1), port: 7)
        #expect(pair.run(round: {
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
