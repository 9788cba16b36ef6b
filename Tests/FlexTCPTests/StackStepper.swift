@testable import FlexTCP
import FlexTCPCore
import Synchronization

/// Drives caller-driven stacks (`Configuration.schedule` `.callerDriven`) for an async test, as an embedded
/// event loop would: one task steps every stack added round by round at virtual time, then the
/// rounds of the test's own low-level servers, and yields to the test's tasks between rounds.
/// Each round moves virtual time by 100 µs; after `idleRoundsBeforeJump` rounds in which no stack
/// did anything, it jumps to the stacks' earliest deadline (a timer that would fire anyway, as
/// nothing else moves). No thread of the stacks, no wall-clock deadline: a test that does not
/// finish within `maximumRounds` rounds is cancelled (every wait of the async API ends with `cancelled`).
///
/// Contract: stacks are added from the body (`add`) once their scope runs; a stack whose scope has
/// ended does nothing when stepped. `everyRound` closures run on the stepping task, one at a time.
final class StackStepper: Sendable {
    /// Virtual time of the first round, and how far each round moves it.
    static let start: UInt64 = 1_000_000_000
    static let roundLength: UInt64 = 100_000
    static let idleRoundsBeforeJump = 3

    private struct Driven {
        var stacks: [FlexTCPStack] = []
        var rounds: [@Sendable () -> Void] = []
        var finished = false
    }

    private let driven = Mutex(Driven())

    /// Steps `stack` from the next round on.
    func add(_ stack: FlexTCPStack) { driven.withLock { $0.stacks.append(stack) } }

    /// Runs `round` after the stacks in every round (a low-level server's turn).
    func everyRound(_ round: @escaping @Sendable () -> Void) { driven.withLock { $0.rounds.append(round) } }

    /// Runs `body` while a task steps the stacks it adds; at most `maximumRounds` rounds (60 s of virtual time by default).
    static func run<Result: Sendable>(maximumRounds: Int = 600_000, _ body: @escaping @Sendable (StackStepper) async throws -> Result)
        async throws -> Result {
        let stepper = StackStepper()
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                defer { stepper.driven.withLock { $0.finished = true } }
                return try await body(stepper)
            }
            group.addTask {
                await stepper.drive(maximumRounds: maximumRounds)
                return nil
            }
            while let outcome = try await group.next() {
                if let outcome { return outcome }
                // Out of rounds: the body's waits end with cancelled.
                group.cancelAll()
            }
            throw TCPError.cancelled
        }
    }

    private func drive(maximumRounds: Int) async {
        var now = Self.start
        var idleRounds = 0
        for _ in 0..<maximumRounds {
            let (stacks, rounds, finished) = driven.withLock { ($0.stacks, $0.rounds, $0.finished) }
            if finished { return }
            now &+= Self.roundLength
            if idleRounds >= Self.idleRoundsBeforeJump, let deadline = stacks.map(\.nextDeadline).min(), deadline != .max {
                now = max(now, deadline)
            }
            var busy = false
            for stack in stacks where stack.step(now: now) { busy = true }
            idleRounds = busy ? 0 : idleRounds + 1
            for round in rounds { round() }
            await Task.yield()
        }
    }
}

extension FlexTCPStack {
    /// `run` for a caller-driven stack of `stepper`: the stack is stepped by it while `body` runs.
    static func run<Result>(on port: NetworkPort, configuration: Configuration, steppedBy stepper: StackStepper,
                            isolation: isolated (any Actor)? = #isolation,
                            _ body: (FlexTCPStack) async throws -> Result) async throws -> Result {
        try await run(on: port, configuration: configuration.callerDriven) { stack in
            stepper.add(stack)
            return try await body(stack)
        }
    }
}

/// How a test runs its stacks: on threads of their own (with a threaded schedule), or stepped by a `StackStepper`.
enum StackDriving: Sendable {
    case threads(StackRuntime.Schedule)
    case stepped(StackStepper)

    /// `FlexTCPStack.run` at `address` (a `.testing` configuration) driven this way.
    func run<Result>(on port: NetworkPort, address: String, isolation: isolated (any Actor)? = #isolation,
                     _ body: (FlexTCPStack) async throws -> Result) async throws -> Result {
        switch self {
        case .threads(let schedule):
            try await FlexTCPStack.run(on: port, configuration: .testing(address, schedule: schedule), body)
        case .stepped(let stepper):
            try await FlexTCPStack.run(on: port, configuration: .testing(address), steppedBy: stepper, body)
        }
    }

    /// `body`, cancelled after 50 s of real time on threads (a hang fails the test instead of
    /// stalling the suite); stepped, the stepper's rounds bound it instead.
    func bounded<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
        switch self {
        case .threads: try await withWatchdog(body)
        case .stepped: try await body()
        }
    }
}

extension FlexTCPStack.Configuration {
    /// This configuration, caller-driven (stepped by its owner, no thread of its own).
    var callerDriven: Self {
        var configuration = self
        configuration.schedule = .callerDriven
        return configuration
    }
}
