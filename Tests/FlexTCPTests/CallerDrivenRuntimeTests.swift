import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTestSupport
import Testing

/// Two caller-driven runtimes on one in-memory wire, a low-level echo server and client on their
/// contexts, all stepped on the test's thread on a virtual clock (100 µs per round).
private struct SteppedEcho {
    let rounds: Int
    let client: LowLevelEchoClient
    let server: LowLevelEchoServer
    let statistics: [RuntimeStatistics]

    init(bytes: Int) throws {
        let wire = try MemoryWire(capacity: 4096, maximumFrameLength: 1514)
        let clock = VirtualTimeSource(start: 1_000_000_000)
        let runtimes = try [("198.18.0.1/24", wire.a), ("198.18.0.2/24", wire.b)].map { interface, port in
            try StackRuntime(port: port, configuration: TestRuntimes.configuration(interface), contextCount: 1, clock: clock,
                             schedule: .callerDriven)
        }
        for runtime in runtimes { try runtime.start() }
        let server = try LowLevelEchoServer(attachment: runtimes[1].attachment(for: 0), port: 7, served: 2)
        let client = try LowLevelEchoClient(attachment: runtimes[0].attachment(for: 0), count: 2, bytes: bytes)
        server.start()
        var rounds = 0
        var connecting = false
        while !(client.isDone && server.isDone) && rounds < 200_000 {
            for runtime in runtimes { _ = runtime.step(now: clock.now()) }
            _ = server.runRound()
            if !connecting && server.isListening.isRaised {
                client.start(ports: [7, 7])
                connecting = true
            }
            if connecting { _ = client.runRound() }
            clock.advance(by: 100_000)
            rounds += 1
        }
        server.finish()
        client.finish()
        for runtime in runtimes { runtime.stop() }
        (self.rounds, self.client, self.server) = (rounds, client, server)
        statistics = runtimes.map { $0.statistics }
    }
}

@Suite("Caller-driven runtime")
struct CallerDrivenRuntimeTests {
    @Test("Runtimes, server and client stepped on one thread on a virtual clock: 2 × 64 KiB echoed and verified, closed; the same run twice is identical")
    func steppedEchoIsDeterministic() throws {
        let first = try SteppedEcho(bytes: 1 << 16)
        #expect(first.client.verified == [1 << 16, 1 << 16] && first.client.mismatches == 0)
        #expect(first.client.failures.isEmpty && first.server.failures.isEmpty, "\(first.client.failures) \(first.server.failures)")
        #expect(first.client.closed == 2 && first.server.closedConnections == 2)
        #expect(first.statistics.allSatisfy { $0.threadCPUNanoseconds == 0 && $0.idleWaits == 0 }, "no runtime thread ran")
        let second = try SteppedEcho(bytes: 1 << 16)
        #expect(second.rounds == first.rounds)
        #expect(second.statistics == first.statistics)
    }
}
