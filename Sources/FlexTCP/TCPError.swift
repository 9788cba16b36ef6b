import FlexTCPCore

/// Why a FlexTCP operation failed, in the application's terms.
///
/// Contract: every failing operation of the async API throws one of these; the low-level API
/// reports them in its failure events (`ContextEvent.connectFailed`, …) and as the reason of an
/// abnormal `closed`.
public enum TCPError: Error, Hashable, Sendable {
    /// The peer answered the connection request with a reset: nothing listens on that port.
    case refused
    /// No route to the address, or its hardware address could not be resolved.
    case unreachable
    /// The peer stopped answering: the handshake or a retransmission gave up.
    case timedOut
    /// The peer reset the connection.
    case reset
    /// Another listener of this stack already listens on the port.
    case addressInUse
    /// A meaningless request: port 0, a backlog of 0, a move of a connection to its own context.
    case invalidArgument
    /// The stack holds as many connections (or ring memory, or waiting connections) as it can.
    case resourcesExhausted
    /// This side closed the connection (no more writes, and no second close), or the listener
    /// (its waiting accepts fail with this).
    case closed
    /// The connection or listener is not (or no longer) held here: it moved away or ended.
    case unknownConnection
    /// The move's target context belongs to another stack.
    case foreignContext
    /// Every application context of the stack is taken (see `FlexTCPStack.Configuration.contextCount`).
    case noContextAvailable
    /// The stack's scope ended before the operation finished.
    case stopped
    /// The task waiting for the operation was cancelled.
    case cancelled

    /// The failure a slow-path status stands for; nil for success.
    init?(_ status: SlowPathStatus) {
        switch status {
        case .success: return nil
        case .invalidArgument: self = .invalidArgument
        case .addressInUse: self = .addressInUse
        case .noSuchListener, .noSuchFlow: self = .unknownConnection
        case .connectionRefused: self = .refused
        case .unreachable: self = .unreachable
        case .timedOut: self = .timedOut
        case .resourcesExhausted: self = .resourcesExhausted
        case .noSuchContext: self = .foreignContext
        case .listenerClosed: self = .closed
        }
    }

    /// The failure a connection's end stands for; nil for an orderly end (FIN, our close).
    init?(_ reason: CloseReason) {
        switch reason {
        case .peerFinished, .closedByApplication: return nil
        case .reset: self = .reset
        case .timedOut: self = .timedOut
        }
    }
}
