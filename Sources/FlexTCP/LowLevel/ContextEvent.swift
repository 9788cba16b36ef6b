import FlexTCPCore
import FlexWire

/// What `Context.poll` reports: the outcome of each listener and connection operation, and what
/// happened on open connections (the dissertation's A.4 events).
///
/// Contract: a `received` span stays readable until its bytes are freed with `freeReceivedBytes`;
/// spans of one connection follow each other in the ring, and bytes are freed in that order.
/// Every operation's outcome is reported once: success, or failure with a `TCPError`.
public enum ContextEvent {
    /// The listener is open (A.4 listen open_done): `accept` may be called on it.
    case listening(Listener)
    /// The listener could not open (`addressInUse`, `invalidArgument`, …).
    case listenFailed(Listener, TCPError)
    /// The listener is closed (`Context.close(_:)` of a listener): its port is free for another
    /// `listen`, and the handle is dead.
    case listenerClosed(Listener)
    /// A connection waits on the listener for an `accept` (A.4 new_conn).
    case incomingConnection(Listener, remoteAddress: IPv4Address, remotePort: UInt16)
    /// The accepted connection is open (A.4 accept_done).
    case accepted(Connection)
    /// The accept failed.
    case acceptFailed(Connection, TCPError)
    /// The connection to the peer is open (A.4 connection open_done).
    case connected(Connection)
    /// The connection could not open (`refused`, `unreachable`, `timedOut`, …).
    case connectFailed(Connection, TCPError)
    /// New bytes in the connection's receive ring (A.4 received).
    case received(Connection, RingSpan)
    /// Acknowledgments freed send space after `reserveSendSpace` found too little (A.4 sendbuf_avail).
    case sendSpaceAvailable(Connection)
    /// The peer finished sending: every byte it sent has been reported. We may still send.
    case endOfStream(Connection)
    /// The connection now belongs to the context it was moved to (A.4 move_done): its events
    /// arrive there, and it is used on that context's thread from now on.
    case moved(Connection)
    /// The move did not happen (`invalidArgument`: to this context; `foreignContext`; `unknownConnection`):
    /// the connection stays here.
    case moveFailed(Connection, TCPError)
    /// A connection another context moved here; its events arrive on this context from now on.
    case movedIn(Connection)
    /// The connection is gone, after both sides closed and every received byte was freed (nil), or
    /// with `reset` or `timedOut` (unfreed bytes are dropped); its handle is dead.
    case closed(Connection, TCPError?)

    /// The event reporting a slow-path status: `success` on `.success`, else `failure` with its error.
    static func outcome(_ status: SlowPathStatus, success: ContextEvent, failure: (TCPError) -> ContextEvent) -> ContextEvent {
        TCPError(status).map(failure) ?? success
    }
}
