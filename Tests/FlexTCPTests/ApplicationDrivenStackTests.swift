import FlexTCP
import Foundation
import Synchronization
import Testing

/// An application-driven stack (`Configuration.threading` `.applicationDriven`) on one end of an
/// in-memory wire, run by a thread of its own together with a low-level echo server: each loop
/// `poll`s the stack, serves the context, and waits in `waitForWork` when neither did anything.
private final class DrivenEchoServer: Sendable {
    /// Loops of the serving thread so far (one `poll` each).
    let loops = Atomic<Int>(0)
    let listening = SharedFlag()
    let finished = SharedFlag()
    private let failures = Mutex<[String]>([])

    var failureList: [String] { failures.withLock { $0 } }

    /// Serves one echo connection on port 7 at `address`, waiting up to `idleWait` per idle sleep.
    func run(on port: NetworkPort, address: String, idleWait: Duration, deadline: Deadline) {
        var configuration = FlexTCPStack.Configuration.testing(address)
        configuration.threading = .applicationDriven
        do {
            try FlexTCPStack.withStack(on: port, configuration: configuration) { stack in
                let echo = LowLevelEchoServer(context: try stack.makeContext(), port: 7, served: 1)
                echo.start()
                while !echo.isDone && !deadline.hasPassed {
                    echo.context.flush()
                    let stackBusy = stack.poll()
                    let served = echo.runRound()
                    if echo.isListening.isRaised { listening.raise() }
                    loops.add(1, ordering: .relaxed)
                    if !stackBusy && !served {
                        echo.context.flush()
                        stack.waitForWork(timeout: idleWait)
                    }
                }
                echo.finish()
                let outcome = echo.failures + (echo.isDone ? [] : ["the echo did not finish"])
                failures.withLock { $0 += outcome }
            }
        } catch {
            failures.withLock { $0.append("stack: \(error)") }
        }
        finished.raise()
    }
}

@Suite("Application-driven stacks (real time)", .serialized)
struct ApplicationDrivenStackTests {
    @Test("An application-driven stack serves an echo with one thread per side; idle, it sleeps until a frame arrives")
    func echoesAndSleepsUntilFrames() throws {
        let wire = try InMemoryWire()
        let deadline = Deadline(seconds: 40)
        let server = DrivenEchoServer()
        // A server that slept its whole idle wait instead of waking for the SYN would take 5 s to answer it.
        let serverThread = Thread { server.run(on: wire.second, address: TestAddresses.server, idleWait: .seconds(5), deadline: deadline) }
        serverThread.start()
        defer { _ = deadline.wait(for: server.finished) }
        #expect(deadline.wait(for: server.listening), "the server listens")

        // Idle: the serving thread sleeps instead of looping.
        usleep(50_000)
        let loopsBefore = server.loops.load(ordering: .relaxed)
        usleep(300_000)
        let idleLoops = server.loops.load(ordering: .relaxed) - loopsBefore
        #expect(idleLoops <= 5, "an idle application-driven loop sleeps (\(idleLoops) loops in 300 ms)")

        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var configuration = FlexTCPStack.Configuration.testing(TestAddresses.client)
        configuration.threading = .applicationDriven
        let clock = ContinuousClock()
        let (echoed, connectTime) = try FlexTCPStack.withStack(on: wire.first, configuration: configuration) { stack in
            let context = try stack.makeContext()
            let started = clock.now
            let connection = context.connect(to: TestAddresses.serverAddress, port: 7)
            var connectTime: Duration?
            var sent = 0
            var echoed: [UInt8] = []
            var closed = false
            while !closed && !deadline.hasPassed {
                context.flush()
                let stackBusy = stack.poll()
                let events = context.poll { event in
                    if case .connected = event { connectTime = clock.now - started }
                    if case .closed = event { closed = true }
                }
                var moved = 0
                if connection.isOpen && sent < payload.count {
                    let space = context.reserveSendSpace(payload.count - sent, on: connection)
                    let count = space.copyBytes(from: payload[sent...])
                    moved += context.sendReserved(count, on: connection)
                    sent += count
                }
                if connection.unfreedByteCount > 0 {
                    echoed += connection.unfreedBytes
                    moved += context.freeReceivedBytes(connection.unfreedByteCount, of: connection)
                }
                if echoed.count == payload.count && !connection.isClosing { context.close(connection) }
                if !stackBusy && events == 0 && moved == 0 {
                    context.flush()
                    stack.waitForWork(timeout: .seconds(5))
                }
            }
            return (echoed, connectTime)
        }
        #expect(deadline.wait(for: server.finished), "the server finished")
        #expect(server.failureList == [])
        let connected = try #require(connectTime, "the client connected")
        #expect(connected < .seconds(2), "the idle server woke for the SYN (connected after \(connected))")
        let intact = echoed == payload
        #expect(intact, "every byte came back in order (\(echoed.count) of \(payload.count) came back)")
    }

    @Test("The async API of an application-driven stack wakes its driving thread: listen, accept and a message served")
    func asyncOperationsWakeTheDrivingThread() async throws {
        let wire = try InMemoryWire()
        var serverConfiguration = FlexTCPStack.Configuration.testing(TestAddresses.server)
        serverConfiguration.threading = .applicationDriven
        let configuration = serverConfiguration
        let received = try await withWatchdog(seconds: 30) {
            try await FlexTCPStack.run(on: wire.second, configuration: configuration) { server in
                // The driving thread sleeps up to 10 s per wait: only wake-ups get the operations done in time.
                let stopping = SharedFlag(), stopped = SharedFlag()
                Thread {
                    while !stopping.isRaised { if !server.poll() { server.waitForWork(timeout: .seconds(10)) } }
                    stopped.raise()
                }.start()
                defer {
                    stopping.raise()
                    _ = Deadline(seconds: 20).wait(for: stopped)
                }
                let clock = ContinuousClock()
                let started = clock.now
                let listener = try await server.listen(on: 7)
                let bytes = try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client)) { client in
                    let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
                    try await connection.write([1, 2, 3] as [UInt8])
                    var accepted = listener.makeAsyncIterator()
                    let served = try #require(try await accepted.next())
                    var inbound = served.inbound.makeAsyncIterator()
                    let chunk = try #require(try await inbound.next())
                    try await connection.close()
                    return Array(chunk)
                }
                // A driving thread that slept its whole wait would have taken 10 s per operation.
                #expect(clock.now - started < .seconds(5), "the operations woke the driving thread")
                return bytes
            }
        }
        #expect(received == [1, 2, 3])
    }
}
