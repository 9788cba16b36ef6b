import FlexPort
import FlexTCPCore
import FlexWire
import Synchronization

/// Serves async callers (`TCPListener`, `TCPConnection`) from one `Context`: either on a thread of
/// its own (`start`/`stop`), or from the caller's run-to-completion loop (`runOnce`).
///
/// Contract: any task or thread may call `listen`, `connect` and the handles' operations; they
/// reach the driving thread through a locked inbox and wake the context's `wait`. Exactly one
/// thread drives: the driver's own after `start`, or the caller of `runOnce` (never both, and in
/// that form `stop` is called from the same thread). `stop` ends every pending operation with
/// `TCPError.stopped`, as it does every operation submitted afterwards.
public final class ContextDriver: Sendable {
    private let inbox = Mutex(Inbox())
    // Only the driving thread touches the core (see the contract).
    nonisolated(unsafe) private let core: DriverCore
    private let thread = Mutex<JoinableThread?>(nil)
    private let wakeup: WakeupSignal

    private struct Inbox {
        var commands: [DriverCommand] = []
        var stopped = false
    }

    public init(attachment: ContextAttachment) throws(ContextQueueError) {
        let context = try Context(attachment: attachment)
        core = DriverCore(context: context)
        wakeup = context.wakeup
        core.driver = self
    }

    /// Starts the driver's own thread (once).
    public func start() throws(JoinableThread.StartError) {
        try thread.withLock { thread throws(JoinableThread.StartError) in
            guard thread == nil else { return }
            thread = try JoinableThread { [self] in
                while runOnce(waitingUpTo: 100_000_000) {}
            }
        }
    }

    /// Stops driving: the own thread ends and is joined; pending operations fail with `stopped`.
    public func stop() {
        inbox.withLock { $0.stopped = true }
        wakeup.signal()
        if let running = thread.withLock({ $0 }) {
            running.join()
        } else {
            core.failAll()
        }
    }

    /// One round of the polling form: carries out submitted operations, polls the context and
    /// moves bytes; sleeps up to `timeoutNanoseconds` when there was nothing to do. Returns false
    /// once the driver is stopped.
    @discardableResult
    public func runOnce(waitingUpTo timeoutNanoseconds: Int64 = 0) -> Bool {
        let (commands, stopped) = inbox.withLock { inbox in
            defer { inbox.commands.removeAll() }
            return (inbox.commands, inbox.stopped)
        }
        guard !stopped else {
            for command in commands { command.fail(.stopped) }
            core.failAll()
            return false
        }
        let busy = core.round(commands)
        if !busy && commands.isEmpty && timeoutNanoseconds > 0 { _ = core.context.wait(timeoutNanoseconds: timeoutNanoseconds) }
        return true
    }

    /// Listens on `port`.
    public func listen(port: UInt16, backlog: UInt32 = 128) async throws -> TCPListener {
        try await withCheckedThrowingContinuation { submit(.listen(port: port, backlog: backlog, $0)) }
    }

    /// Connects to `address:port`.
    public func connect(to address: IPv4Address, port: UInt16) async throws -> TCPConnection {
        try await withCheckedThrowingContinuation { submit(.connect(address: address, port: port, $0)) }
    }

    func submit(_ command: DriverCommand) {
        let accepted = inbox.withLock { inbox in
            guard !inbox.stopped else { return false }
            inbox.commands.append(command)
            return true
        }
        guard accepted else { return command.fail(.stopped) }
        wakeup.signal()
    }
}
