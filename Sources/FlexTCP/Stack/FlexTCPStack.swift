import FlexPort
import FlexTCPCore
import FlexWire
import Synchronization

/// A TCP stack on one network port, alive for the duration of a scope: `run` (async) or
/// `withStack` (blocking) start it, hand it to the body, and stop it when the body returns or
/// throws (or its task is cancelled and the body ends), joining every thread the stack started.
/// There is nothing to stop by hand.
///
/// Inside the scope: `listen` and `connect` are the async API (`TCPListener`, `TCPConnection`),
/// served by a context of the stack's own; `makeContext` hands out low-level `Context`s (A.4) for
/// threads that poll by themselves.
///
/// Contract: any task or thread may use the stack while its scope runs. Once the scope has ended,
/// every pending and later async operation fails with `TCPError.stopped`, `makeContext` throws
/// `stopped`, and low-level contexts see no more events.
public final class FlexTCPStack: Sendable {
    /// This stack's IPv4 address.
    public let address: IPv4Address
    let runtime: StackRuntime
    /// No thread of its own: driven by `step` (`Configuration.schedule` is `.callerDriven`).
    private let isCallerDriven: Bool
    private let state: Mutex<State>
    /// Held by a `step` and by `stop`, so that no step overlaps the end of the scope.
    private let steps = Mutex(())
    private let releasePort: @Sendable () -> Void

    private struct State {
        var isRunning = true
        /// The next queue set `makeContext` hands out (0 is the async API's).
        var nextContext = 1
        /// Serves the async API; started at its first use.
        var driver: ContextDriver?
    }

    private init(port: NetworkPort, configuration: Configuration) throws(StackSetupError) {
        var core = try configuration.coreConfiguration()
        let (opened, release) = try port.open(for: &core)
        do {
            runtime = try Self.makeRuntime(port: opened, configuration: core, contextCount: configuration.contextCount + 1,
                                           schedule: configuration.schedule)
        } catch {
            release()
            throw error
        }
        address = core.network.interface.address
        isCallerDriven = configuration.schedule == .callerDriven
        state = Mutex(State())
        releasePort = release
    }

    /// Builds the runtime and starts its threads (none when caller-driven): the one place this library creates one.
    private static func makeRuntime(port: any Port, configuration: StackConfiguration, contextCount: Int,
                                    schedule: StackRuntime.Schedule) throws(StackSetupError) -> StackRuntime {
        let runtime: StackRuntime
        do {
            runtime = try StackRuntime(port: port, configuration: configuration, contextCount: contextCount, schedule: schedule)
        } catch {
            throw .resourcesUnavailable(String(describing: error))
        }
        do {
            try runtime.start()
        } catch {
            throw .resourcesUnavailable(String(describing: error))
        }
        return runtime
    }

    /// Runs `body` with a stack on `port`, then stops the stack and joins its threads, whether
    /// `body` returns or throws. Throws `StackSetupError` if the stack cannot start, else what
    /// `body` throws.
    public static func run<Result>(on port: NetworkPort, configuration: Configuration,
                                   isolation: isolated (any Actor)? = #isolation,
                                   _ body: (FlexTCPStack) async throws -> Result) async throws -> Result {
        let stack = try FlexTCPStack(port: port, configuration: configuration)
        defer { stack.stop() }
        return try await body(stack)
    }

    /// The blocking form of `run`, for programs that use only low-level contexts on their own threads.
    public static func withStack<Result>(on port: NetworkPort, configuration: Configuration,
                                         _ body: (FlexTCPStack) throws -> Result) throws -> Result {
        let stack = try FlexTCPStack(port: port, configuration: configuration)
        defer { stack.stop() }
        return try body(stack)
    }

    /// Listens on `port` for connections, which the returned listener yields as an `AsyncSequence`.
    /// Throws `addressInUse` when another listener has the port, `invalidArgument` for port 0 or a
    /// backlog outside 1 ... 65535.
    public func listen(on port: UInt16, backlog: Int = 128) async throws(TCPError) -> TCPListener {
        let driver = try asyncDriver()
        return try await driver.perform { .listen(port: port, backlog: backlog, $0) }
    }

    /// Connects to `address:port`. Throws `refused` (nothing listens there), `unreachable`,
    /// `timedOut` or `resourcesExhausted`.
    public func connect(to address: IPv4Address, port: UInt16) async throws(TCPError) -> TCPConnection {
        let driver = try asyncDriver()
        return try await driver.perform { .connect(address: address, port: port, $0) }
    }

    /// A low-level context (A.4) of this stack, for one thread at a time (make it on the thread that
    /// polls it: the stack may be shared across threads, a context may not). Throws
    /// `noContextAvailable` once `Configuration.contextCount` contexts were made, `stopped` after
    /// the scope.
    public func makeContext() throws(TCPError) -> Context {
        let index = try state.withLock { state throws(TCPError) in
            guard state.isRunning else { throw .stopped }
            guard state.nextContext < runtime.region.count else { throw .noContextAvailable }
            defer { state.nextContext += 1 }
            return state.nextContext
        }
        return try Self.context(runtime.attachment(for: index))
    }

    /// One round of a caller-driven stack (`Configuration.schedule` `.callerDriven`) on the caller's thread at
    /// `now`: the async API's operations and context, then the runtime. True if anything was done;
    /// once the scope has ended it does nothing and returns false. Rounds never overlap.
    package func step(now: UInt64) -> Bool {
        precondition(isCallerDriven, "step drives only a caller-driven stack")
        return steps.withLock { _ in
            guard let driver = state.withLock({ $0.isRunning ? .some($0.driver) : nil }) else { return false }
            let driven = driver?.step() ?? false
            return runtime.step(now: now) || driven
        }
    }

    /// The earliest time a caller-driven stack's `step` has timer or pacing work (`.max`: none
    /// until a frame arrives or an operation is asked for).
    package var nextDeadline: UInt64 {
        steps.withLock { _ in runtime.nextDeadline }
    }

    /// True until the scope ended and every thread of the stack was joined.
    var isRunning: Bool { state.withLock { $0.isRunning } || runtime.isRunning }

    /// The async API's driver (started at the first call).
    private func asyncDriver() throws(TCPError) -> ContextDriver {
        try state.withLock { state throws(TCPError) in
            guard state.isRunning else { throw .stopped }
            if let driver = state.driver { return driver }
            let driver = try ContextDriver(context: Self.context(runtime.attachment(for: 0)), startsThread: !isCallerDriven)
            state.driver = driver
            return driver
        }
    }

    private static func context(_ attachment: ContextAttachment) throws(TCPError) -> Context {
        do {
            return try Context(attachment: attachment)
        } catch {
            throw .resourcesExhausted
        }
    }

    /// Ends the scope: the async driver stops (failing what waits with `stopped`), then the runtime.
    private func stop() {
        let driver = steps.withLock { _ in
            state.withLock { state in
                state.isRunning = false
                return state.driver
            }
        }
        driver?.stop()
        runtime.stop()
        releasePort()
    }
}
