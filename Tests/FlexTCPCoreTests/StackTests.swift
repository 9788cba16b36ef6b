import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore
import FlexTCPTools

/// Two embedded stacks on one in-memory wire, driven run-to-completion on a virtual clock: a
/// `WirePair` of `Stack`s, the client at A (198.18.0.1), the server at B (198.18.0.2).
typealias StackTestPair = WirePair<Stack>

extension WirePair where End == Stack {
    static var serverAddress: IPv4Address { TestWire.addressB }
    var client: Stack { a }
    var server: Stack { b }

    convenience init() throws {
        try self.init(link: TestWire()) { port, side in try Stack(port: port, configuration: Self.configuration(side.interface)) }
    }

    static func configuration(_ interface: String) throws -> StackConfiguration {
        var configuration = StackConfiguration(interface: try InterfaceAddress(interface))
        configuration.flowCapacity = 32
        configuration.slowPath.initialRetransmissionTimeout = 10_000_000
        configuration.timeWaitDuration = 50_000_000
        return configuration
    }

    /// Polls both stacks and runs `step` after each round, advancing 100 µs per round, until `done`.
    func run(maximumRounds: Int = 200_000, step: (UInt64) -> Void, until done: () -> Bool) -> Bool {
        run(maximumRounds: maximumRounds, after: { now in
            step(now)
            return true
        }, until: done)
    }
}

@Suite("Embedded stack")
struct StackTests {
    @Test("Ten connections echo 1 MB each through two stacks, verified byte for byte")
    func echoTenConnections() throws {
        let pair = try StackTestPair()
        let echo = try StackEchoServer(stack: pair.server, port: 7)
        let sender = try StackSendClient(stack: pair.client, to: StackTestPair.serverAddress, port: 7, bytesPerConnection: 1_000_000,
                                    connections: 10, seed: 5, verifiesEcho: true, now: pair.clock.now())
        let finished = pair.run(step: { now in
            echo.step(now: now)
            sender.step(now: now)
        }, until: { sender.isFinished })
        #expect(finished)
        let reports = try sender.outcomes.map { try #require($0).get() }
        #expect(reports.count == 10)
        #expect(reports.allSatisfy { $0.bytes == 1_000_000 })
        #expect(Set(reports.map(\.sha256)).count == 10, "each connection carries its own seeded stream")
        #expect(echo.bytesEchoed == 10_000_000)
        #expect(echo.connectionsServed == 10)
    }

    @Test("A sink reports each connection's bytes and the same SHA-256 the sender computed")
    func sinkMatchesSender() throws {
        let pair = try StackTestPair()
        let sink = try StackSink(stack: pair.server, port: 9)
        let sender = try StackSendClient(stack: pair.client, to: StackTestPair.serverAddress, port: 9, bytesPerConnection: 300_001,
                                    connections: 3, seed: 11, verifiesEcho: false, now: pair.clock.now())
        let finished = pair.run(step: { now in
            sink.step(now: now)
            sender.step(now: now)
        }, until: { sender.isFinished && sink.reports.count == 3 })
        let received = sink.reports
        #expect(finished)
        let sent = try sender.outcomes.map { try #require($0).get() }
        #expect(Set(received.map(\.sha256)) == Set(sent.map(\.sha256)))
        #expect(received.allSatisfy { $0.bytes == 300_001 && $0.label.hasPrefix("198.18.0.1:") })
        #expect(sink.failedConnections == 0)
    }

    @Test("Reads and writes wrap around the rings: odd chunk sizes, many laps of a 64 KiB ring")
    func ringWrapAround() throws {
        let pair = try StackTestPair()
        let echo = try StackEchoServer(stack: pair.server, port: 7, scratchSize: 1000)
        let sender = try StackSendClient(stack: pair.client, to: StackTestPair.serverAddress, port: 7, bytesPerConnection: 250_007,
                                    connections: 2, seed: 1, verifiesEcho: true, now: pair.clock.now(), scratchSize: 777)
        #expect(pair.run(step: { now in
            echo.step(now: now)
            sender.step(now: now)
        }, until: { sender.isFinished }))
        for outcome in sender.outcomes { #expect(try #require(outcome).get().bytes == 250_007) }
    }

    @Test("Connecting to a port nobody listens on fails with a reset")
    func refusedConnection() throws {
        let pair = try StackTestPair()
        let sender = try StackSendClient(stack: pair.client, to: StackTestPair.serverAddress, port: 99, bytesPerConnection: 10,
                                    connections: 1, seed: 1, verifiesEcho: false, now: pair.clock.now())
        #expect(pair.run(step: { sender.step(now: $0) }, until: { sender.isFinished }))
        #expect(sender.outcomes.first??.failureValue != nil)
    }
}

extension Result {
    var failureValue: Failure? { if case .failure(let failure) = self { failure } else { nil } }
}
