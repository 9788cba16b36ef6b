import FlexTCPCore
import FlexWire

/// What `Context.poll` reports (dissertation A.4 listener and connection events).
///
/// Contract: a `received` span stays readable until its bytes are freed with `rxFree`; spans of
/// one connection follow each other in the ring, and bytes must be freed in that order.
public enum ContextEvent {
    /// A.4 listener open_done.
    case listenerOpened(Listener, SlowPathStatus)
    /// A.4 new_conn: a connection waits on the listener for an `accept`.
    case newConnection(Listener, remoteAddress: IPv4Address, remotePort: UInt16)
    /// A.4 accept_done.
    case accepted(Connection, SlowPathStatus)
    /// A.4 connection open_done.
    case connected(Connection, SlowPathStatus)
    /// A.4 received: new bytes in the connection's receive ring.
    case received(Connection, RingSpan)
    /// A.4 sendbuf_avail: acknowledgments freed transmit space after a `txAlloc` found too little.
    case sendSpaceAvailable(Connection)
    /// The peer finished sending: every byte it sent has been reported. We may still send.
    case endOfStream(Connection)
    /// A.4 move_done, on the context that asked: on success the connection belongs to the other
    /// context from now on (its events arrive there; use it only on that context's thread).
    case moved(Connection, SlowPathStatus)
    /// A connection another context moved here; its events arrive on this context from now on.
    case movedIn(Connection)
    /// The connection is gone (after both sides closed, a reset or a timeout); its handle is dead.
    case closed(Connection, CloseReason)
    /// The runtime refused an entry of this context (a programming error of the library or the
    /// application, e.g. closing a connection that is not open).
    case rejected(EntryRejection)
}
