import FlexWire

/// RFC 9293 states of a connection that holds a flow index (LISTEN needs no record; SYN-RECEIVED
/// lives in the SYN queue as `HalfOpenConnection`). `closed` is RFC 9293's CLOSED for a connection
/// whose application has not yet freed every byte it received: the record and its rings stay until
/// it has (`SlowPath.reportClosedOnceRead`).
package enum TCPConnectionState: Hashable, Sendable {
    case synSent, established, finWait1, finWait2, closing, timeWait, closeWait, lastAck, closed

    /// True once the peer's FIN has been accepted.
    package var peerFinished: Bool {
        self == .closing || self == .timeWait || self == .closeWait || self == .lastAck || self == .closed
    }
    /// True once our FIN has been sent.
    package var finSent: Bool {
        self == .finWait1 || self == .finWait2 || self == .closing || self == .timeWait || self == .lastAck || self == .closed
    }
}

/// The slow path's record of one connection that owns a flow index.
///
/// Contract: the record is the one owner of the connection's application binding (`context`,
/// `opaque`) while the connection holds its flow index: whoever changes it (the runtime, on an
/// accept or a move: `SlowPath.bind`) changes it here; the fast path's `FlowState.context/opaque`
/// is the delivery copy, set through `ContextFlowControl`, and `ConnectionEvent`s carry the binding
/// as it was when they happened. `acceptedBy` is the listening port of a passive open (nil for an
/// active one). `rings` is set from installation in the fast path until the record is dropped;
/// `sequence` is the ISS in SYN-SENT; `scheduledWake` is at or before `deadline` (and the flow's
/// scoreboard's reorder deadline) whenever that is set and still ahead. A plain
/// value without references (its congestion-control loop lives in `SlowPath.congestionLoops`), so
/// copying it is cheap.
struct Connection {
    var phase: TCPConnectionState
    let key: FlowKey
    var opaque: UInt64
    var context: UInt16
    let acceptedBy: UInt16?
    var rings: PayloadRingAllocator.RingPair?
    var sequence: SequenceNumber
    /// When the SYN retransmission, data/FIN retransmission, zero-window probe or TIME_WAIT is due
    /// (`.max`: no timer).
    var deadline: UInt64 = .max
    /// The time of the connection's live entry in `SlowPath.connectionTimers` (`.max`: none). It may be
    /// earlier than `deadline` (the timer was pushed back: the entry wakes the connection, which is
    /// then scheduled anew), never later unless the deadline passed without anything to do then.
    var scheduledWake: UInt64 = .max
    /// SYN retransmissions; once installed, retransmission timeouts (or probes) since SND.UNA last moved.
    var retries = 0
    /// SND.UNA when the slow path last saw it move (the retransmission timer restarts when it does).
    var watchedUnacknowledged = SequenceNumber(0)
    /// SND.UNA when the last tail loss probe was sent (one probe per SND.UNA); nil: none yet.
    var probedUnacknowledged: SequenceNumber?
    /// The peer was seen to reorder segments (RFC 8985's RACK.reordering_seen): kept here because the
    /// flow's scoreboard goes when its losses are repaired.
    var reorderingSeen = false
    /// When the retransmission timer was armed, if it was armed for a tail loss probe (its deadline
    /// is then the probe's, earlier than the RTO); nil when it was armed for the RTO.
    var probeArmedAt: UInt64?
    /// The retransmission timer is running for data or FIN in flight, or for zero-window probes.
    var timer: RetransmissionTimerKind = .idle
    /// Retransmission timeouts over the connection's life (wrapping), for congestion control.
    var retransmissionTimeouts: UInt32 = 0
    /// The connection's `closed` event is out: both directions ended in order and the application
    /// had freed every received byte (until then TIME_WAIT or CLOSED keep the record and its rings).
    var closeReported = false
    /// Set in SYN-SENT when the peer's SYN crossed ours (simultaneous open): the connection is in
    /// SYN-RECEIVED and this is what its SYN-ACK says.
    var crossedSYN: HalfOpenConnection?
}

/// What the slow path's per-connection retransmission timer watches.
enum RetransmissionTimerKind {
    case idle
    /// Data or our FIN is unacknowledged: on expiry, go back to SND.UNA.
    case retransmission
    /// The peer's window is closed while data waits: on expiry, send a window probe.
    case windowProbe
}

/// A SYN-RECEIVED entry of the SYN queue: what the SYN-ACK said and what completing needs.
struct HalfOpenConnection {
    let key: FlowKey
    let remoteMAC: MACAddress
    let listenerPort: UInt16
    let options: NegotiatedOptions
    let initialSendSequence: SequenceNumber
    let initialReceiveSequence: SequenceNumber
    var deadline: UInt64
    var retries = 0
}
