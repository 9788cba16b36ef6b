@testable import FlexTCP
import FlexTCPCore
import Synchronization

extension FlexTCPStack.Configuration {
    /// A small stack for the tests: 32 connections, a 50 ms first retransmission timeout and a
    /// 100 ms TIME_WAIT (as `RuntimePair.configuration`).
    static func testing(_ address: String, schedule: StackRuntime.Schedule = .runToCompletion, contextCount: Int = 1) -> Self {
        var configuration = Self(address: address)
        configuration.connectionCapacity = 32
        configuration.contextCount = contextCount
        configuration.schedule = schedule
        configuration.adjustCore = {
            $0.slowPath.initialRetransmissionTimeout = 50_000_000
            $0.timeWaitDuration = 100_000_000
        }
        return configuration
    }
}

/// The client (198.18.0.1) and server (198.18.0.2) addresses the stack tests use on an in-memory wire.
enum TestAddresses {
    static let client = "198.18.0.1/24"
    static let server = "198.18.0.2/24"
    static let serverAddress = IPv4Address(198, 18, 0, 2)
}

/// A value one task sets and another reads after it (e.g. a stack escaping its scope, to check it stopped).
final class Escaped<Value: Sendable>: Sendable {
    private let stored = Mutex<Value?>(nil)
    func set(_ value: Value) { stored.withLock { $0 = value } }
    var value: Value? { stored.withLock { $0 } }
}

/// Runs `body`, cancelling it after `seconds` (every wait of the async API ends on cancellation),
/// so a hang fails the test instead of stalling the suite.
func withWatchdog<Result: Sendable>(seconds: Int = 50, _ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else { throw TCPError.timedOut }
        return result
    }
}
