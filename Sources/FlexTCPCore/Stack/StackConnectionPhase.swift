/// Where one of a `Stack`'s connections stands, as the application sees it.
///
/// Contract: set from the slow path's events during `Stack.poll`; after `closed` or `failed` the
/// flow index may be handed to a new connection, which then starts a new phase.
package enum StackConnectionPhase: Hashable, Sendable {
    /// No connection has used this flow index yet.
    case unused
    /// `connect` sent a SYN; no answer yet.
    case connecting
    /// Established: bytes flow both ways.
    case open
    /// The peer sent FIN: after the bytes already received, the stream ends. We may still send.
    case peerClosed
    /// Both directions closed in order.
    case closed
    /// Setup failed or the connection was torn down abruptly.
    case failed(ConnectionAbortReason)

    /// True once the peer will send nothing more (the stream ends after what is in the ring).
    package var peerFinished: Bool {
        switch self {
        case .peerClosed, .closed, .failed: true
        case .unused, .connecting, .open: false
        }
    }
}
