import FlexPort
import FlexTCPCore
import FlexWire
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP stack on one network port, alive for the duration of a scope: `run` (async) or
/// `withStack` (blocking) start it, hand it to the body, and stop it when the body returns or
/// throws (or its task is cancelled and the body ends), joining every thread the stack started.
/// There is nothing to stop by hand.
///
/// Inside the scope: `listen` and `connect` are the async API (`TCPListener`, `TCPConnection`),
/// served by a context of the stack's own; `makeContext` hands out low-level `Context`s (A.4) for
/// threads that poll by themselves.
///
/// The stack runs in this process (`run`, `withStack`: embedded mode), or in a flextcpd service
/// this process attaches to (`attach`, `withAttachedStack`: service mode), with the same API; in
/// service mode the contexts live in this application's own memory shared with the service.
///
/// Contract: any task or thread may use the stack while its scope runs. Once the scope has ended,
/// every pending and later async operation fails with `TCPError.stopped`, `makeContext` throws
/// `stopped`, and low-level contexts see no more events. In service mode the scope also ends for
/// the async API when the service shuts down or goes away.
public final class FlexTCPStack: Sendable {
    /// This stack's IPv4 address.
    public let address: IPv4Address
    private let backend: Backend
    /// No thread of its own: driven by `step` or `poll` (`Configuration.schedule` `.callerDriven`
    /// or `Configuration.threading` `.applicationDriven`).
    private let isCallerDriven: Bool
    /// Driven by `poll` on the monotonic clock (`Configuration.threading` `.applicationDriven`).
    private let isApplicationDriven: Bool
    private let state: Mutex<State>
    /// Held by a `step` and by `stop`, so that no step overlaps the end of the scope.
    private let steps = Mutex(())
    private let releasePort: @Sendable () -> Void

    /// Where the contexts come from: a runtime of this process, or a flextcpd session (with the
    /// thread that notices the service hanging up).
    private enum Backend {
        case embedded(StackRuntime)
        case attached(ServiceSession)
    }

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
            backend = .embedded(try Self.makeRuntime(port: opened, configuration: core, contextCount: configuration.contextCount + 1,
                                                     schedule: configuration.runtimeSchedule))
        } catch {
            release()
            throw error
        }
        address = core.network.interface.address
        isCallerDriven = configuration.runtimeSchedule == .callerDriven
        isApplicationDriven = configuration.threading == .applicationDriven
        state = Mutex(State())
        releasePort = release
    }

    /// A stack attached to the flextcpd listening at `path`, and the thread that ends the scope
    /// for the async API if the service hangs up first.
    private init(service path: String) throws(StackSetupError) {
        let session = try ServiceSession(path: path)
        address = session.address
        isCallerDriven = false
        isApplicationDriven = false
        state = Mutex(State())
        releasePort = {}
        backend = .attached(session)
        try session.startWatching { [weak self] in self?.serviceEnded() }
    }

    /// The path applications attach to by default: `$FLEXTCP_SERVICE`, else
    /// `$XDG_RUNTIME_DIR/flextcpd.sock`, else `/run/flextcp/flextcpd.sock`.
    public static var defaultServicePath: String {
        if let path = getenv("FLEXTCP_SERVICE") { return String(cString: path) }
        if let directory = getenv("XDG_RUNTIME_DIR") { return String(cString: directory) + "/flextcpd.sock" }
        return "/run/flextcp/flextcpd.sock"
    }

    /// Runs `body` with a stack attached to the flextcpd at `path` (service mode), then detaches
    /// (the service resets the connections still open and closes the listeners). Throws
    /// `StackSetupError` if the service cannot be reached or refuses, else what `body` throws.
    public static func attach<Result>(service path: String = defaultServicePath,
                                      isolation: isolated (any Actor)? = #isolation,
                                      _ body: (FlexTCPStack) async throws -> Result) async throws -> Result {
        let stack = try FlexTCPStack(service: path)
        defer { stack.stop() }
        return try await body(stack)
    }

    /// The blocking form of `attach`, for programs that use only low-level contexts on their own threads.
    public static func withAttachedStack<Result>(service path: String = defaultServicePath,
                                                 _ body: (FlexTCPStack) throws -> Result) throws -> Result {
        let stack = try FlexTCPStack(service: path)
        defer { stack.stop() }
        return try body(stack)
    }

    /// The attach socket of a stack attached to flextcpd (nil for an embedded one): the POSIX
    /// sockets library closes its copy in a forked child, so that the child's exit is not taken for
    /// the parent's and the parent's exit is seen by the service.
    package var serviceSocket: Int32? {
        guard case .attached(let session) = backend else { return nil }
        return session.socket
    }

    /// The runtime of an embedded stack (tests and tools of this package).
    package var runtime: StackRuntime {
        guard case .embedded(let runtime) = backend else { preconditionFailure("an attached stack has no runtime in this process") }
        return runtime
    }

    /// How many contexts the stack has (the async API's included), and context `index`'s attachment.
    private var contextCount: Int {
        switch backend {
        case .embedded(let runtime): runtime.region.count
        case .attached(let session): session.reply.contextsPerApplication
        }
    }

    /// Context `index`'s attachment (0 is the async API's), for tools of this package that drive queues by hand.
    package func attachment(for index: Int) -> ContextAttachment {
        switch backend {
        case .embedded(let runtime): runtime.attachment(for: index)
        case .attached(let session): session.attachment(for: index)
        }
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
            guard state.nextContext < contextCount else { throw .noContextAvailable }
            defer { state.nextContext += 1 }
            return state.nextContext
        }
        return try Self.context(attachment(for: index))
    }

    /// One round of a caller-driven stack (`Configuration.schedule` `.callerDriven`) on the caller's thread at
    /// `now`: the runtime's round with the async API's operations and context inside it, after
    /// receiving and before transmitting (what they write leaves in the same round). True if
    /// anything was done; once the scope has ended it does nothing and returns false. Rounds never overlap.
    package func step(now: UInt64) -> Bool {
        precondition(isCallerDriven, "step drives only a caller-driven stack")
        return steps.withLock { _ in
            guard let driver = state.withLock({ $0.isRunning ? .some($0.driver) : nil }) else { return false }
            guard let driver else { return runtime.step(now: now) }
            var driven = false
            let stepped = runtime.step(now: now) { driven = driver.step() }
            return stepped || driven
        }
    }

    /// One round of an application-driven stack (`Configuration.threading` `.applicationDriven`) on
    /// the calling thread, at the monotonic clock's time: the stack (contexts' requests and sends,
    /// received frames, timers; events published to the contexts), the async API's operations, then
    /// transmit (what they wrote leaves in this round). Returns true if anything was done; false once the scope has ended. Call it
    /// from one thread at a time (rounds never overlap), the one that polls its contexts, and
    /// `flush` those contexts before it so that this round sends what they queued.
    public func poll() -> Bool {
        precondition(isApplicationDriven, "poll() drives only an application-driven stack")
        return step(now: runtime.now)
    }

    /// Application-driven stack: waits on the calling (polling) thread until there is work for
    /// `poll` — a frame arrived, another thread's context or the async API asked for something, a
    /// timer of the stack is due — or `timeout` passes; returns at once if there is work already or
    /// the scope has ended. Call it when `poll` and the thread's own contexts' `poll` found nothing
    /// (events for those contexts come only from `poll`, so they need no wake-up), then poll them
    /// again. It first keeps polling the stack for about 20 µs (returning as soon as a round did
    /// something: the contexts may have events), since a sleep and its wake-up cost more CPU than
    /// that; only then does it sleep.
    public func waitForWork(timeout: Duration) {
        precondition(isApplicationDriven, "waitForWork(timeout:) is for an application-driven stack")
        let pollingEnd = runtime.now &+ Self.pollingBeforeSleep
        while runtime.now < pollingEnd {
            if poll() { return }
        }
        steps.withLock { _ in
            guard state.withLock({ $0.isRunning }) else { return }
            // The async API's operations signal its context's application signal.
            runtime.sleepUntilWork(timeoutNanoseconds: UInt64(timeout.sleepNanoseconds), alsoWakingOn: [attachment(for: 0).region.signals(0).application])
        }
    }

    /// How long (ns) `waitForWork` polls an application-driven stack before it sleeps.
    static let pollingBeforeSleep: UInt64 = 20_000

    /// The earliest time a caller-driven stack's `step` has timer or pacing work (`.max`: none
    /// until a frame arrives or an operation is asked for).
    package var nextDeadline: UInt64 {
        steps.withLock { _ in runtime.nextDeadline }
    }

    /// True until the scope ended and every thread of the stack was joined.
    var isRunning: Bool {
        guard case .embedded(let runtime) = backend else { return state.withLock { $0.isRunning } }
        return state.withLock { $0.isRunning } || runtime.isRunning
    }

    /// The async API's driver (started at the first call).
    private func asyncDriver() throws(TCPError) -> ContextDriver {
        try state.withLock { state throws(TCPError) in
            guard state.isRunning else { throw .stopped }
            if let driver = state.driver { return driver }
            let driver = try ContextDriver(context: Self.context(attachment(for: 0)), startsThread: !isCallerDriven)
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
        switch backend {
        case .embedded(let runtime):
            runtime.stop()
            releasePort()
        case .attached(let session):
            session.close()
        }
    }

    /// The service hung up while the scope runs: the async API's operations fail with `stopped`
    /// from now on (the driver is stopped; `stop` does the rest when the scope ends).
    private func serviceEnded() {
        let driver = state.withLock { state in
            state.isRunning = false
            return state.driver.take()
        }
        driver?.stop()
    }
}
