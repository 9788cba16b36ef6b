@testable import FlexTCP
import FlexTCPCore
import FlexTestSupport
import Testing

@Suite("Bounded runtime queues")
struct BoundedQueueTests {
    @Test("A context that asks for 10,000 accepts and does not poll: the runtime holds a bounded number of its completions; all come once it polls (stepped)")
    func acceptsWithoutPolling() throws {
        let rig = try SteppedContextPair()
        let listener = rig.serverListening(on: 7)
        let accepts = (0..<10_000).compactMap { _ in rig.server.accept(on: listener) }
        #expect(accepts.count == 10_000)

        // 1,000 rounds in which the context hands over its requests but never polls: the runtime
        // could take every request, but takes only what its outbox for the context has room for.
        rig.pair.run(maximumRounds: 1_000, after: { _ in
            rig.server.flush()
            return true
        })
        let largestOutbox = rig.pair.server.statistics.largestOutbox
        #expect(largestOutbox > 0 && largestOutbox <= 64, "\(largestOutbox) completions waited in the runtime")

        // Polling again: five connections are accepted; closing the listener fails the accepts that still wait.
        let clients = (0..<5).map { _ in rig.client.connect(to: TestWire.addressB, port: 7) }
        #expect(rig.run { clients.allSatisfy(\.isOpen) && rig.serverEvents.filter(isAccepted).count == 5 })
        rig.server.close(listener)
        #expect(rig.runUntilServer { $0.isListenerClosed(listener) })
        let asked = Set(accepts.map(ObjectIdentifier.init))
        let failures = rig.serverEvents.filter { if case .acceptFailed(let connection, _) = $0 { asked.contains(ObjectIdentifier(connection)) } else { false } }
        #expect(rig.serverEvents.filter(isAccepted).count + failures.count == 10_000)
        #expect(rig.pair.server.statistics.largestOutbox == largestOutbox)
    }

    private func isAccepted(_ event: ContextEvent) -> Bool { if case .accepted = event { true } else { false } }
}
