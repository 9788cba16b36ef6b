import FlexPort
@testable import FlexTCPCore
import FlexTCPTools
import FlexWire
import Testing

/// An echo server written on the two threads of a `ThreadedStack`: the slow-path hook listens,
/// accepts and closes once the peer finished and everything is echoed; the fast-path hook copies
/// received bytes into the transmit ring of every flow the fast path has installed.
///
/// The fast-path hook learns of flows from the fast path itself, not from the slow path's accept:
/// a flow index handed across threads on a side channel can arrive before the install command it
/// depends on (the command ring is the only ordered channel), and would be taken for a flow gone.
final class ThreadedEchoServer {
    let stack: ThreadedStack

    init(stack: ThreadedStack, port: UInt16) throws {
        self.stack = stack
        try stack.slowPath.listen(port: port, backlog: 16)
        nonisolated(unsafe) var finished: [FlowIndex] = []
        stack.slowPathApplication = { slowPath, now in
            while slowPath.accept(port: port) != nil {}
            slowPath.drainEvents { event in
                if case .peerClosed(let flow, _) = event { finished.append(flow) }
            }
            finished.removeAll { flow in
                guard let state = slowPath.flows.state(of: flow) else { return true }
                guard state.unreadByteCount == 0 else { return false }
                slowPath.close(flow: flow, now: now)
                return true
            }
        }
        let capacity = FlowIndex(stack.configuration.flowCapacity)
        stack.fastPathApplication = { fastPath, now in
            for flow in 0..<capacity { ThreadedEchoServer.echo(flow, on: fastPath, now: now) }
        }
    }

    /// Copies what the flow received and fits into its transmit ring (nothing for a free index).
    private static func echo(_ flow: FlowIndex, on fastPath: FastPath, now: UInt64) {
        guard let state = fastPath.state(of: flow) else { return }
        let count = min(state.unreadByteCount, state.transmitSpace)
        guard count > 0, !state.closeFlags.contains(.finQueued) else { return }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: Int(count), alignment: 16)
        defer { scratch.deallocate() }
        PayloadRing(base: fastPath.payloadRegion + Int(state.receiveRingOffset), size: state.receiveRingSize)
            .read(into: scratch, count: count, at: state.unreadStart)
        PayloadRing(base: fastPath.payloadRegion + Int(state.transmitRingOffset), size: state.transmitRingSize)
            .write(UnsafeRawPointer(scratch), count: count, at: state.transmitTail)
        fastPath.applicationQueued(flow: flow, bytes: count, now: now)
        fastPath.applicationFreed(flow: flow, bytes: count, now: now)
    }
}

@Suite("Threaded fast path and slow path", .serialized)
struct ThreadedStackTests {
    /// Runs a run-to-completion client stack on `clientPort` against a threaded echo server on
    /// `serverPort`: `connections` × `bytes` echoed and verified, then one connection to a closed port.
    func echo(clientPort: any FlexPort.Port, serverPort: any FlexPort.Port, connections: Int, bytes: UInt64)
        throws -> (outcomes: [Result<StreamReport, SendFailure>?], refused: StackConnectionPhase, server: ThreadedStack) {
        let server = try ThreadedStack(port: serverPort, configuration: StackTestPair.configuration("198.18.0.2/24"))
        let echo = try ThreadedEchoServer(stack: server, port: 7)
        try server.start()
        defer { server.stop() }
        let client = try Stack(port: clientPort, configuration: StackTestPair.configuration("198.18.0.1/24"))
        let clock = MonotonicTimeSource()
        let deadline = clock.now() + 60_000_000_000
        let sender = try StackSendClient(stack: client, to: IPv4Address(198, 18, 0, 2), port: 7, bytesPerConnection: bytes,
                                    connections: connections, seed: 11, verifiesEcho: true, now: clock.now())
        let refused = try client.connect(to: IPv4Address(198, 18, 0, 2), port: 9, now: clock.now())
        client.run(clock: clock, maximumWait: 1_000_000, step: { sender.step(now: $0) }) {
            (sender.isFinished && client.phase(of: refused) != .connecting) || clock.now() > deadline
        }
        _ = echo
        server.stop()
        if sender.outcomes.contains(where: { if case .success = $0 { false } else { true } }) { Issue.record(Comment(rawValue: Self.describe(client: client, server: server))) }
        return (sender.outcomes, client.phase(of: refused), server)
    }

    /// Both sides' view of every flow, for a run that did not finish (read after the threads stopped).
    static func describe(client: Stack, server: ThreadedStack) -> String {
        func line(_ state: FlowState) -> String {
            "una=\(state.sendUnacknowledged.rawValue) sent=\(state.transmitSent) pending=\(state.transmitPending) "
                + "peerWindow=\(state.peerWindow) rcvNext=\(state.receiveNext.rawValue) space=\(state.receiveSpace)/\(state.receiveRingSize) "
                + "ooo=\(state.outOfOrderLength) close=\(state.closeFlags.rawValue) rtt=\(state.roundTripMicroseconds)"
        }
        var text = "server: exceptionDrops=\(server.exceptionDrops) reprocessDrops=\(server.link.reprocessDrops) "
            + "failedCommands=\(server.failedCommands) waiting=\(server.link.waitingCommands) forwardDrops=\(server.forwardDrops) "
            + "reprocessExceptions=\(server.reprocessExceptions)\n"
            + "server counters: \(server.slowPath.counters)\nclient counters: \(client.slowPath.counters)\n"
        for flow in 0..<FlowIndex(server.configuration.flowCapacity) {
            let phase = server.slowPath.state(of: flow)
            let fast = server.fastPath.state(of: flow)
            guard phase != nil || fast != nil else { continue }
            text += "server flow \(flow): slow=\(String(describing: phase)) link=\(server.link.state(of: flow).map(line) ?? "-")\n"
            text += "   fast=\(fast.map(line) ?? "-") \(String(describing: server.slowPath.connections[Int(flow)]))\n"
        }
        for flow in 0..<FlowIndex(client.configuration.flowCapacity) {
            guard let state = client.fastPath.state(of: flow) else { continue }
            text += "client flow \(flow): slow=\(String(describing: client.slowPath.state(of: flow))) \(line(state))\n"
            text += "   \(String(describing: client.slowPath.connections[Int(flow)]))\n"
        }
        return text
    }

    @Test("Handshake, bulk echo both ways, close, and RST for a closed port against a threaded stack")
    func echoAndReset() throws {
        let wire = try MemoryWire(capacity: 4096, maximumFrameLength: 1514)
        let result = try echo(clientPort: wire.a, serverPort: wire.b, connections: 4, bytes: 1 << 18)
        for outcome in result.outcomes {
            guard case .success(let report) = outcome else { Issue.record("connection failed: \(String(describing: outcome))"); continue }
            #expect(report.bytes == 1 << 18)
        }
        #expect(result.refused == .failed(.resetByPeer))
        #expect(result.server.failedCommands == 0 && result.server.link.waitingCommands == 0)
        #expect(result.server.slowPath.counters.resetsSent >= 1)
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
        let result = try echo(clientPort: lossyClient, serverPort: lossyServer, connections: 2, bytes: 1 << 17)
        for outcome in result.outcomes {
            guard case .success(let report) = outcome else { Issue.record("connection failed: \(String(describing: outcome))"); continue }
            #expect(report.bytes == 1 << 17)
        }
        #expect(lossyClient.emulatorStatistics.droppedByLoss + lossyServer.emulatorStatistics.droppedByLoss > 0, "the link lost frames")
    }
}
