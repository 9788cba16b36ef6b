import FlexTCPCore
import FlexWire

/// A listener of a `Context` (dissertation A.4 listener): returned by `listen(on:)`, usable for
/// `accept` once its `listening` event came, until `Context.close` (then dead after `listenerClosed`).
///
/// Contract: belongs to the context that opened it; touched on that context's thread only.
public final class Listener {
    /// The local port it listens on.
    public let port: UInt16
    let opaque: UInt64
    /// The runtime's name for the listener (valid after a successful `listenerOpened`).
    var identifier: UInt32 = 0
    /// The runtime's answer to the listen request; nil until it came.
    package internal(set) var status: SlowPathStatus?
    /// `Context.close` was called on it.
    var isClosing = false

    init(port: UInt16, opaque: UInt64) {
        self.port = port
        self.opaque = opaque
    }
}

/// A connection of a `Context` (dissertation A.4 connection): returned by `accept` or `connect`,
/// open once its `accepted` or `connected` event came, gone after its `closed` event.
///
/// Contract: belongs to one context and is touched on that context's thread only. The library
/// tracks what the queues do not tell it: the transmit tail, the bytes not yet acknowledged, the
/// received bytes not yet freed, and send/free counts not yet handed to the fast path.
public final class Connection {
    let opaque: UInt64
    /// The stack's flow slot (valid while open).
    package internal(set) var flow: FlowIndex = 0
    /// The peer's address (for `connect`, the one asked for until the connection opens).
    public internal(set) var remoteAddress: IPv4Address
    /// The peer's port.
    public internal(set) var remotePort: UInt16
    /// This side's port (0 until the connection opens).
    public internal(set) var localPort: UInt16 = 0
    /// Payload bytes per segment the connection sends — the MSS in use (the smaller of the two
    /// sides' offers, less the timestamp option when timestamps are on); 0 until it opens.
    public internal(set) var segmentSize = 0
    /// True from `accepted`/`connected` until `closed`.
    public internal(set) var isOpen = false
    /// The peer finished or the stream was torn down: no more bytes will be received.
    public internal(set) var hasStreamEnded = false
    /// Why the stream ended (set with `hasStreamEnded`).
    var streamEndReason: CloseReason?
    /// The stream ended with the peer's FIN (not a reset or timeout): every byte it sent has arrived.
    public var hasPeerFinished: Bool { streamEndReason == .peerFinished }
    /// The application closed its direction (`Context.close`).
    public internal(set) var isClosing = false
    /// The runtime is done with the flow (its completion arrived), with this reason.
    var finishReason: CloseReason?

    var receiveBase: UnsafeMutableRawPointer?
    var receiveSize = 0
    var transmitBase: UnsafeMutableRawPointer?
    var transmitSize = 0
    /// Ring position where the next byte passed to `sendReserved` goes.
    var transmitTail = 0
    /// Bytes passed to `sendReserved` and not yet acknowledged by the peer.
    public internal(set) var unacknowledgedByteCount = 0
    /// Received bytes announced to the application and not yet freed.
    public internal(set) var unfreedByteCount = 0
    /// Ring position of the oldest byte not yet freed.
    var readPosition = 0
    /// Send and free counts made while the connection moved, for the context that holds it
    /// afterwards (the counts of a held connection wait in its context's `PendingUpdates`).
    var pendingSend: UInt32 = 0
    var pendingFree: UInt32 = 0
    /// `reserveSendSpace` found less room than asked: report `sendSpaceAvailable` when acknowledgments come.
    var wantsSendSpace = false
    /// The context this connection is moving to, from `move` until the move completes.
    var moveTarget: Context?
    /// `close` was called while the connection moved.
    var closeAwaitsMove = false

    init(opaque: UInt64, remoteAddress: IPv4Address = .any, remotePort: UInt16 = 0) {
        self.opaque = opaque
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }

    /// The received bytes not yet freed, oldest first (what `received` events reported, as one span).
    public var unfreedBytes: RingSpan {
        guard let base = receiveBase else { return .empty }
        return RingSpan(base: base, size: receiveSize, position: readPosition, count: unfreedByteCount)
    }

    /// The receive ring's size: the most bytes that can be received and not yet freed at once.
    public var receiveCapacity: Int { receiveSize }

    /// Bytes `reserveSendSpace` can hand out now.
    public var sendSpace: Int { isOpen && !isClosing ? transmitSize - unacknowledgedByteCount : 0 }
}
