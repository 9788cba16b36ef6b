import FlexPort
import FlexTCP
import Synchronization

/// The target on FlexTCP: one thread polls a low-level `Context` of a running `FlexTCPStack`
/// (and runs that stack when it is application-driven), accepts on the port and serves every
/// connection from its receive ring (`ContextStreams`).
///
/// Contract: `run` serves until `stop()` (from any thread), then tears every connection's queue down.
public final class FlexTCPTargetServer: Sendable {
    public let target: NVMeTarget
    private let stopping = Atomic<Bool>(false)
    nonisolated(unsafe) private let context: Context
    private let stack: FlexTCPStack?
    private let localAddress: String

    /// Serves `target` on `context` (made by `FlexTCPStack.makeContext` of the stack at `localAddress`)
    /// at `target.configuration.port`. Given the context's `stack`, which must be application-driven
    /// (`FlexTCPStack.Threading.applicationDriven`), `run`'s thread runs that stack too.
    public init(target: NVMeTarget, context: Context, localAddress: String, driving stack: FlexTCPStack? = nil) {
        self.target = target
        self.context = context
        self.stack = stack
        self.localAddress = localAddress
    }

    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// Serves on the calling thread until `stop()`; throws if the port cannot be opened.
    public func run(receiveBufferSize: Int) throws(HostError) {
        let streams = ContextStreams(context: context, driving: stack)
        let listener = context.listen(on: target.configuration.port)
        let clock = MonotonicTimeSource()
        var lastTimerCheck: UInt64 = 0
        var failure: HostError?
        while !stopping.load(ordering: .relaxed) && failure == nil {
            let stackBusy = streams.driveStack()
            let events = context.poll { event in
                switch event {
                case .listenFailed(_, let error):
                    failure = .connection("cannot listen on port \(target.configuration.port): \(error)")
                case .incomingConnection(let waiting, _, _) where waiting === listener:
                    _ = context.accept(on: listener)
                case .accepted(let connection):
                    streams.attach(connection, to: TargetConnection(target: target, localAddress: localAddress,
                                                                    localPort: connection.localPort, bufferCapacity: receiveBufferSize))
                case .closed(let connection, _):
                    streams.ended(connection)
                default:
                    break
                }
            }
            let moved = streams.service()
            let now = clock.now()
            if now &- lastTimerCheck > 100_000_000 {
                lastTimerCheck = now
                streams.checkTimers()
            }
            if events == 0 && !moved && !stackBusy { streams.wait(timeout: .milliseconds(20)) }
        }
        streams.closeAll()
        if let failure { throw failure }
    }
}
