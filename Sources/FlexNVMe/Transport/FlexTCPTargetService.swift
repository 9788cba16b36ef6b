import FlexPort
import FlexTCP

/// The serving rounds of a target on FlexTCP, for a thread that also does other work (a benchmark
/// running the host and the target on one thread): listens on the target's port and serves every
/// connection from its receive ring (`ContextStreams`), one `step` at a time.
///
/// Contract: used by one thread, the one that polls `context` (and runs its application-driven
/// `stack`, if given). `step` until `failure` is set or the caller stops, then `closeAll`.
public final class FlexTCPTargetService {
    public let target: NVMeTarget
    /// Why serving cannot go on (the port could not be opened), once known.
    public private(set) var failure: HostError?
    private let context: Context
    private let streams: ContextStreams<TargetConnection>
    private let listener: Listener
    private let localAddress: String
    private let receiveBufferSize: Int
    private let clock = MonotonicTimeSource()
    private var lastTimerCheck: UInt64 = 0

    /// Listens on `target.configuration.port` of `context` (made by the stack at `localAddress`);
    /// `receiveBufferSize` is each connection's receive ring size.
    public init(target: NVMeTarget, context: Context, localAddress: String, receiveBufferSize: Int, driving stack: FlexTCPStack? = nil) {
        self.target = target
        self.context = context
        self.localAddress = localAddress
        self.receiveBufferSize = receiveBufferSize
        streams = ContextStreams(context: context, driving: stack)
        listener = context.listen(on: target.configuration.port)
    }

    /// One round: runs the driven stack, handles the context's events, moves every connection's
    /// bytes and (about every 100 ms) checks timers. True if anything happened.
    public func step() -> Bool {
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
        return events > 0 || moved || stackBusy
    }

    /// Sleeps until the context (through the driven stack) may have work, or `timeout`.
    public func wait(timeout: Duration) { streams.wait(timeout: timeout) }

    /// Closes every connection (tearing their queues and controllers down).
    public func closeAll() { streams.closeAll() }
}
