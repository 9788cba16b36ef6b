import FlexWire

/// RFC 9293 states of a connection that holds a flow index (CLOSED and
/// LISTEN need no record; SYN-RECEIVED lives in the SYN queue as `HalfOpenConnection`).
public enum TCPConnectionState: Hashable, Sendable {
    case synSent, established, finWait1, finWait2, closing, timeWait, closeWait, lastAck

    /// True once the peer's FIN has been accepted.
    public var peerFinished: Bool { self == .closing || self == .timeWait || self == .closeWait || self == .lastAck }
    /// True once our FIN has been sent.
    public var finSent: Bool { self == .finWait1 || self == .finWait2 || self == .closing || self == .timeWait || self == .lastAck }
}

/// The slow path's record of one connection that owns a flow index.
///
/// Contract: `rings` is set from installation in the fast path until the record is dropped;
/// `sequence` is the ISS in SYN-SENT and our FIN's sequence number once the FIN is sent.
struct Connection {
    var phase: TCPConnectionState
    let key: FlowKey
    let opaque: UInt64
    let context: UInt16
    var rings: PayloadRingAllocator.RingPair?
    var sequence: SequenceNumber
    /// `close` was called: send FIN once the transmit ring has drained.
    var finRequested = false
    /// When the SYN/FIN retransmission or TIME_WAIT ends (`.max`: no timer).
    var deadline: UInt64 = .max
    var retries = 0
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
