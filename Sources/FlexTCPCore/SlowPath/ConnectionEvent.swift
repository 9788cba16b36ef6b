import FlexWire

/// Why a connection ended without an orderly close.
package enum ConnectionAbortReason: Hashable, Sendable {
    /// The peer reset it (an RST exactly at RCV.NXT, RFC 5961 §3).
    case resetByPeer
    /// Our SYN or FIN was retransmitted `SlowPathConfiguration` retries times without an answer.
    case timedOut
    /// `connect` found no route to the destination.
    case noRoute
    /// No flow slot or payload rings were free.
    case outOfResources
    /// It waited for an accept on a listener that was closed (`SlowPath.closeListener`).
    case listenerClosed
    /// Its application detached from the service (exited or crashed): the peer got an RST.
    case applicationDetached
}

/// What the slow path tells the application about its connections (the "kernel context queue").
///
/// Contract: every flow index reported in `established` stays valid until `closed` or `aborted`
/// names it; after those the index may be reused. `opaque` (and `context`) are the connection's
/// application binding when the event happened, as its record held it (`Connection`); the events
/// after which the flow index may be free again carry the context too, since the record may be gone
/// by the time they are read (`peerClosed` is followed by `closed` in the same batch when our FIN
/// was acknowledged already: TIME_WAIT then holds no flow). A passive connection starts with its
/// listener's binding, names the listening port in `acceptedBy` and also waits in the listener's
/// backlog for `accept`.
package enum ConnectionEvent: Hashable, Sendable {
    /// The handshake completed and the flow is installed in the fast path; `acceptedBy` is the
    /// listening port for a passive open, nil for `connect`.
    case established(flow: FlowIndex, opaque: UInt64, remoteAddress: IPv4Address, remotePort: UInt16, acceptedBy: UInt16?)
    /// `connect` gave up; the flow index it returned is free again.
    case connectFailed(flow: FlowIndex, opaque: UInt64, context: UInt16, reason: ConnectionAbortReason)
    /// The peer sent FIN: no more bytes will arrive (end of stream); we may still send.
    case peerClosed(flow: FlowIndex, opaque: UInt64, context: UInt16)
    /// Both directions are closed and acknowledged; nothing more happens on this flow for the app.
    case closed(flow: FlowIndex, opaque: UInt64, context: UInt16)
    /// The connection was torn down abruptly.
    case aborted(flow: FlowIndex, opaque: UInt64, context: UInt16, reason: ConnectionAbortReason)
}
