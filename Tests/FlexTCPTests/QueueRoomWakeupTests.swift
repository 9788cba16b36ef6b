import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTestSupport
import Foundation
import Testing

@Suite("Runtime threads wake when a context makes queue room (real time)")
struct QueueRoomWakeupTests {
    @Test("Accept completions that waited for room in a 2-entry event queue all arrive within 1 s once the application polls, with the runtime idle (run to completion)")
    func waitingCompletionsArriveWhenTheApplicationPolls() throws {
        let link = try TestWire()
        let client = try TestRuntimes.make(port: link.portA, interface: TestWire.interfaceA, contextCount: 1, schedule: .runToCompletion)
        let server = try StackRuntime(port: link.portB, configuration: TestRuntimes.configuration(TestWire.interfaceB), contextCount: 1,
                                      capacities: ContextQueueCapacities(eventEntries: 2), schedule: .runToCompletion)
        try client.start()
        try server.start()
        defer {
            client.stop()
            server.stop()
        }
        let clientContext = try Context(attachment: client.attachment(for: 0))
        let serverContext = try Context(attachment: server.attachment(for: 0))
        let deadline = Deadline(seconds: 20)
        let listener = serverContext.listen(on: 7)
        var listening = false
        while !listening && !deadline.hasPassed {
            serverContext.poll { if case .listening = $0 { listening = true } }
            if !listening { serverContext.wait(timeout: .milliseconds(10)) }
        }
        try #require(listening)
        let count = 6
        for _ in 0..<count { _ = serverContext.accept(on: listener) }
        // The server's application does not poll while the connections open: their completions
        // fill its event queue and wait in the runtime.
        for _ in 0..<count { _ = clientContext.connect(to: TestWire.addressB, port: 7) }
        var connected = 0
        while connected < count && !deadline.hasPassed {
            clientContext.poll { if case .connected = $0 { connected += 1 } }
            if connected < count { clientContext.wait(timeout: .milliseconds(10)) }
        }
        try #require(connected == count)
        usleep(50_000)
        let start = ContinuousClock.now
        var accepted = 0
        while accepted < count && ContinuousClock.now - start < .seconds(3) {
            serverContext.poll { if case .accepted = $0 { accepted += 1 } }
            if accepted < count { serverContext.wait(timeout: .milliseconds(50)) }
        }
        let elapsed = ContinuousClock.now - start
        #expect(accepted == count)
        #expect(elapsed < .seconds(1), "every completion came within 1 s (took \(elapsed))")
    }
}
