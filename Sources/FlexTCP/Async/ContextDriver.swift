import FlexPort
import FlexTCPCore
import Synchronization

/// Serves the async API (`TCPListener`, `TCPConnection`) of one `FlexTCPStack` from one `Context`,
/// on a thread of its own or (`startsThread` false) round by round on its owner's thread (`step`).
///
/// Contract: any task may `perform` operations; they reach the driver's rounds through a locked
/// inbox that wakes the context's `wait`. A waiting operation whose task is cancelled ends with
/// `TCPError.cancelled`. `stop` ends every pending operation with `TCPError.stopped`, as it does
/// every operation submitted afterwards, and joins the thread; the owner must call it (the
/// thread keeps the driver alive until then). Rounds never overlap.
final class ContextDriver: Sendable {
    private let inbox = Mutex(Inbox())
    // Only a round touches the core, one round at a time (`turn`).
    nonisolated(unsafe) private let core: DriverCore
    private let turn = Mutex(())
    private let wakeup: WakeupSignal
    private let nextOperation = Atomic<UInt64>(1)
    private let thread = Mutex<JoinableThread?>(nil)

    private struct Inbox {
        var commands: [DriverCommand] = []
        var stopped = false
    }

    /// Idle waits end after this long even without a wake-up (a safety net, not a poll interval).
    private static let idleWait = Duration.milliseconds(100)

    /// Whether a round did something, found nothing to do, or found the driver stopped.
    private enum RoundOutcome {
        case busy, idle, stopped
    }

    /// A driver of `context`; with `startsThread` false the owner drives it by calling `step`.
    init(context: Context, startsThread: Bool = true) throws(TCPError) {
        core = DriverCore(context: context)
        wakeup = context.wakeup
        core.driver = self
        guard startsThread else { return }
        do {
            let started = try JoinableThread { [self] in
                while true {
                    switch round() {
                    case .busy: continue
                    case .idle: core.context.wait(timeout: Self.idleWait)
                    case .stopped: return
                    }
                }
            }
            thread.withLock { $0 = started }
        } catch {
            throw .resourcesExhausted
        }
    }

    /// Stops driving: pending operations fail with `stopped`; the thread (if any) ends and is joined.
    func stop() {
        inbox.withLock { $0.stopped = true }
        wakeup.signal()
        if let started = thread.withLock({ $0 }) {
            started.join()
        } else {
            _ = round()
        }
    }

    /// One round of a driver without a thread, on the caller's: carries out submitted operations,
    /// polls the context and moves bytes. True if anything was done.
    func step() -> Bool { round() == .busy }

    /// Carries out submitted operations, polls the context and moves bytes; once the driver is
    /// stopped, fails what was submitted and what waits instead.
    private func round() -> RoundOutcome {
        turn.withLock { _ in
            let (commands, stopped) = inbox.withLock { inbox in
                defer { inbox.commands.removeAll() }
                return (inbox.commands, inbox.stopped)
            }
            guard !stopped else {
                for command in commands { command.fail(.stopped) }
                core.failAll(with: .stopped)
                return .stopped
            }
            return core.round(commands) || !commands.isEmpty ? .busy : .idle
        }
    }

    /// Submits the command `make` builds and waits for its outcome; a cancelled task ends the wait
    /// with `cancelled`.
    func perform<Value>(_ make: (PendingOperation<Value>) -> DriverCommand) async throws(TCPError) -> Value {
        // An already cancelled task asks the stack for nothing (a connect would open and be closed).
        guard !Task.isCancelled else { throw .cancelled }
        let id = nextOperation.wrappingAdd(1, ordering: .relaxed).oldValue
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                submit(make(PendingOperation(id: id, continuation: continuation)))
                // A cancellation that came before the command was submitted found nothing to cancel.
                if Task.isCancelled { submit(.cancel(id)) }
            }
        } onCancel: {
            submit(.cancel(id))
        }
        return try result.get()
    }

    /// Hands a command to the driver's thread (or fails it with `stopped`).
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
