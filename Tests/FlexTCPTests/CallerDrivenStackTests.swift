@testable import FlexTCP
import FlexTCPCore
import Testing

@Suite("Caller-driven stacks (the stepped form the async tests use)")
struct CallerDrivenStackTests {
    @Test("A caller-driven stack starts no thread, serves the async API only in its steps, and steps nothing once its scope ended")
    func servesOnlyInSteps() async throws {
        let wire = try InMemoryWire()
        let escaped = Escaped<FlexTCPStack>()
        let port = try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client).callerDriven) { stack in
            escaped.set(stack)
            #expect(!stack.runtime.isRunning, "no runtime thread")
            let answered = SharedFlag()
            let listen = Task {
                defer { answered.raise() }
                return try await stack.listen(on: 80)
            }
            var rounds = 0
            var now: UInt64 = 1_000_000_000
            while rounds < 1000 && !answered.isRaised {
                now += 100_000
                _ = stack.step(now: now)
                rounds += 1
                await Task.yield()
            }
            #expect(rounds > 0, "the listen waited for a step")
            return try await listen.value.port
        }
        #expect(port == 80)
        let stack = try #require(escaped.value)
        #expect(!stack.step(now: 2_000_000_000), "a stack whose scope ended does nothing")
        await #expect(throws: TCPError.stopped) { try await stack.listen(on: 81) }
    }
}
