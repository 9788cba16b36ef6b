import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTestSupport
import FlexTCPTools
import FlexWire
import Testing

/// A client runtime stepped by the test's thread (`SendClient`: streams verified by SHA-256, on a
/// context) against a low-level echo server in one context of a runtime whose fast path and slow
/// path run on a thread each, plus one connection to a closed port of the server.
private struct SeparateSlowPathEcho {
    let outcomes: [Result<StreamReport, SendFailure>?]
    let refused: Result<StreamReport, SendFailure>?
    let server: StackRuntime
    let failures: [String]

    init(clientPort: any FlexPort.Port, serverPort: any FlexPort.Port, connections: Int, bytes: UInt64) throws {
        let server = try StackRuntime(port: serverPort, configuration: TestRuntimes.configuration("198.18.0.2/24"), contextCount: 1,
                                      schedule: .separateSlowPath)
        try server.start()
        defer { server.stop() }
        let deadline = Deadline(seconds: 60)
        let echo = HandOff(try LowLevelEchoServer(attachment: server.attachment(for: 0), port: 7, served: connections))
        let thread = try JoinableThread { echo.value.run(until: deadline) }
        defer { thread.join() }
        _ = deadline.wait(for: echo.value.isListening)
        let client = try RuntimeLoop(port: clientPort, configuration: TestRuntimes.configuration("198.18.0.1/24"), contextCount: 2)
        let sender = SendClient(context: try client.makeContext(0), to: IPv4Address(198, 18, 0, 2), port: 7, bytesPerConnection: bytes,
                                connections: connections, seed: 11, verifiesEcho: true)
        let refusal = SendClient(context: try client.makeContext(1), to: IPv4Address(198, 18, 0, 2), port: 9, bytesPerConnection: 1,
                                 connections: 1, seed: 1, verifiesEcho: false)
        client.run(clock: MonotonicTimeSource(), step: { _ in [sender.step(), refusal.step()].contains(true) }) {
            (sender.isFinished && refusal.isFinished) || deadline.hasPassed
        }
        thread.join()
        server.stop()
        (outcomes, refused, self.server, failures) = (sender.outcomes, refusal.outcomes.first ?? nil, server, echo.value.failures)
    }
}

@Suite("Fast path and slow path on threads of their own", .serialized)
struct ThreadedStackTests {
    @Test("Handshake, bulk echo both ways, close, and RST for a closed port against a runtime with a separate slow path")
    func echoAndReset() throws {
        let wire = try MemoryWire(capacity: 4096, maximumFrameLength: 1514)
        let result = try SeparateSlowPathEcho(clientPort: wire.a, serverPort: wire.b, connections: 4, bytes: 1 << 18)
        for outcome in result.outcomes {
            guard case .success(let report) = outcome else { Issue.record("connection failed: \(String(describing: outcome))"); continue }
            #expect(report.bytes == 1 << 18)
        }
        #expect(result.failures.isEmpty, "\(result.failures)")
        if case .failure(let refusal) = result.refused {
            #expect(refusal == .connectFailed(.refused))
        } else {
            Issue.record("closed port: \(String(describing: result.refused))")
        }
        let statistics = result.server.statistics
        #expect(statistics.failedCommands == 0 && statistics.waitingCommands == 0, "\(statistics)")
        #expect(result.server.slowPathCounters.resetsSent >= 1)
    }

    @Test("The same over a link with 1% loss each way: retransmissions from the slow path's timers and the fast path's dup-ACKs")
    func echoWithLoss() throws {
        let wire = try MemoryWire(capacity: 4096, maximumFrameLength: 1514)
        var settings = LinkEmulatorSettings()
        settings.dropProbability = 0.01
        let clock = MonotonicTimeSource()
        let lossyClient = LinkEmulator(wrapping: wire.a, settings: settings, timeSource: clock)
        settings.seed = 2
        let lossyServer = LinkEmulator(wrapping: wire.b, settings: settings, timeSource: clock)
        let result = try SeparateSlowPathEcho(clientPort: lossyClient, serverPort: lossyServer, connections: 2, bytes: 1 << 17)
        for outcome in result.outcomes {
            guard case .success(let report) = outcome else { Issue.record("connection failed: \(String(describing: outcome))"); continue }
            #expect(report.bytes == 1 << 17)
        }
        #expect(lossyClient.emulatorStatistics.droppedByLoss + lossyServer.emulatorStatistics.droppedByLoss > 0, "the link lost frames")
    }
}
