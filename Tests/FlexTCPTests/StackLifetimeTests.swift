@testable import FlexTCP
import Synchronization
import Testing

private struct BodyFailure: Error {}

@Suite("FlexTCPStack scopes", .serialized)
struct StackLifetimeTests {
    @Test("When the body returns, the stack has stopped and joined its threads; later operations throw stopped")
    func stopsOnReturn() async throws {
        let wire = try InMemoryWire()
        let escaped = Escaped<FlexTCPStack>()
        let port = try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client)) { stack in
            escaped.set(stack)
            // Start the async API's thread too.
            let listener = try await stack.listen(on: 80)
            #expect(stack.isRunning)
            return listener.port
        }
        let stack = try #require(escaped.value)
        #expect(port == 80)
        #expect(!stack.isRunning && !stack.runtime.isRunning)
        await #expect(throws: TCPError.stopped) { try await stack.listen(on: 81) }
        #expect(throws: TCPError.stopped) { try stack.makeContext() }
    }

    @Test("When the body throws, the stack stops and the error comes through")
    func stopsOnThrow() async throws {
        let wire = try InMemoryWire()
        let escaped = Escaped<FlexTCPStack>()
        await #expect(throws: BodyFailure.self) {
            try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client)) { stack in
                escaped.set(stack)
                _ = try await stack.listen(on: 80)
                throw BodyFailure()
            }
        }
        let stack = try #require(escaped.value)
        #expect(!stack.isRunning)
        // The wire's end is free again for the next stack.
        try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client)) { _ in }
    }

    @Test("The blocking scope stops the stack when its body returns or throws")
    func blockingScope() throws {
        let wire = try InMemoryWire()
        let escaped = Escaped<FlexTCPStack>()
        #expect(throws: BodyFailure.self) {
            try FlexTCPStack.withStack(on: wire.second, configuration: .testing(TestAddresses.server)) { stack in
                escaped.set(stack)
                _ = try stack.makeContext()
                throw BodyFailure()
            }
        }
        #expect(escaped.value?.isRunning == false)
        let address = try FlexTCPStack.withStack(on: wire.second, configuration: .testing(TestAddresses.server)) { $0.address }
        #expect(address == TestAddresses.serverAddress)
    }

    @Test("Cancelling the task ends the waits inside the scope with cancelled, and the stack stops", .timeLimit(.minutes(1)))
    func stopsOnCancellation() async throws {
        let wire = try InMemoryWire()
        let escaped = Escaped<FlexTCPStack>()
        let listening = Escaped<Bool>()
        let task = Task {
            try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client)) { stack in
                escaped.set(stack)
                let listener = try await stack.listen(on: 80)
                listening.set(true)
                for try await _ in listener {}
            }
        }
        while listening.value != true { try await Task.sleep(for: .milliseconds(1)) }
        task.cancel()
        let result = await task.result
        #expect(throws: TCPError.cancelled) { try result.get() }
        #expect(escaped.value?.isRunning == false)
    }

    @Test("A wait whose task is cancelled ends with cancelled while the stack goes on")
    func cancelledWaitOnly() async throws {
        let wire = try InMemoryWire()
        try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client)) { stack in
            let listener = try await stack.listen(on: 80)
            let accept = Task { () async throws(TCPError) -> TCPConnection? in
                var connections = listener.makeAsyncIterator()
                return try await connections.next()
            }
            try await Task.sleep(for: .milliseconds(20))
            accept.cancel()
            await #expect(throws: TCPError.cancelled) { try await accept.value }
            // The stack still serves: a second listener opens.
            #expect(try await stack.listen(on: 81).port == 81)
        }
    }

    @Test("A task cancelled before it asks gets cancelled at once, whatever it asks")
    func alreadyCancelled() async throws {
        let wire = try InMemoryWire()
        try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client)) { stack in
            let task = Task { () async throws(TCPError) -> TCPListener in
                withUnsafeCurrentTask { $0?.cancel() }
                return try await stack.listen(on: 80)
            }
            await #expect(throws: TCPError.cancelled) { try await task.value }
            let listener = try await stack.listen(on: 80)
            #expect(listener.port == 80, "the cancelled listen never reached the stack")
        }
    }

    @Test("Contexts come from the scope: as many as configured, then noContextAvailable")
    func contextsFromTheScope() throws {
        let wire = try InMemoryWire()
        try FlexTCPStack.withStack(on: wire.first, configuration: .testing(TestAddresses.client, contextCount: 2)) { stack in
            _ = try stack.makeContext()
            _ = try stack.makeContext()
            #expect(throws: TCPError.noContextAvailable) { try stack.makeContext() }
        }
    }

    @Test("One end of the wire carries one stack at a time; a bad address is refused before the body runs")
    func setupErrors() async throws {
        let wire = try InMemoryWire()
        try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.client)) { _ in
            await #expect(throws: StackSetupError.portInUse) {
                try await FlexTCPStack.run(on: wire.first, configuration: .testing(TestAddresses.server)) { _ in }
            }
        }
        let tooManyContexts = FlexTCPStack.Configuration.testing(TestAddresses.client, contextCount: 256)
        var tinyBuffers = FlexTCPStack.Configuration.testing(TestAddresses.client)
        tinyBuffers.receiveBufferSize = 100
        var ran = false
        for configuration in [.init(address: "198.18.0.0/24"), .init(address: "198.18.0.1"), tooManyContexts, tinyBuffers] {
            #expect(throws: StackSetupError.self) {
                try FlexTCPStack.withStack(on: wire.first, configuration: configuration) { _ in ran = true }
            }
        }
        #expect(!ran)
    }
}
