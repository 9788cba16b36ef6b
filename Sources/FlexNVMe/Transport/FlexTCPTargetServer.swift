import FlexPort
import FlexTCP
import Synchronization

/// The target on FlexTCP: one thread polls a low-level `Context` of a running `FlexTCPStack`
/// (and runs that stack when it is application-driven), accepts on the port and serves every
/// connection from its receive ring (`FlexTCPTargetService`'s rounds).
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
        let service = FlexTCPTargetService(target: target, context: context, localAddress: localAddress,
                                           receiveBufferSize: receiveBufferSize, driving: stack)
        while !stopping.load(ordering: .relaxed) && service.failure == nil {
            if !service.step() { service.wait(timeout: .milliseconds(20)) }
        }
        service.closeAll()
        if let failure = service.failure { throw failure }
    }
}
