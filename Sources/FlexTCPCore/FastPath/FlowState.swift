import FlexWire

/// Options negotiated at connection setup that change how the fast path builds and reads segments.
@usableFromInline package struct FlowOptions: OptionSet, Sendable {
    @usableFromInline package var rawValue: UInt8
    @inlinable package init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Both sides agreed on RFC 7323 timestamps: every segment carries TSval/TSecr.
    @usableFromInline package static let timestamps = FlowOptions(rawValue: 1 << 0)
    /// The peer negotiated ECN: CE marks are echoed as ECE on our ACKs.
    @usableFromInline package static let explicitCongestionNotification = FlowOptions(rawValue: 1 << 1)
    /// Both sides sent SACK-permitted (RFC 2018): while the flow holds out-of-order intervals,
    /// every ACK we send reports them as SACK blocks, most recently changed first.
    @usableFromInline package static let selectiveAcknowledgment = FlowOptions(rawValue: 1 << 2)
}

/// Where a flow's FINs stand, as the fast path tracks them.
@usableFromInline package struct FlowCloseFlags: OptionSet, Sendable {
    @usableFromInline package var rawValue: UInt8
    @inlinable package init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The application closed its direction: a FIN follows the last byte of the transmit ring.
    @usableFromInline package static let finQueued = FlowCloseFlags(rawValue: 1 << 0)
    /// Our FIN is sent and unacknowledged: it occupies sequence number SND.NXT - 1.
    @usableFromInline package static let finInFlight = FlowCloseFlags(rawValue: 1 << 1)
    /// The peer acknowledged our FIN (SND.UNA is past it).
    @usableFromInline package static let finAcknowledged = FlowCloseFlags(rawValue: 1 << 2)
    /// The peer's FIN arrived in order: RCV.NXT is past it, no more bytes will arrive.
    package static let peerFinished = FlowCloseFlags(rawValue: 1 << 3)
    /// The peer's FIN came right after the last byte of the highest out-of-order interval: it is
    /// taken when every gap before it fills; data past it is ignored.
    package static let peerFinAfterInterval = FlowCloseFlags(rawValue: 1 << 4)
}

/// The fast path's state for one established flow: the FlexTCP per-flow NIC state (dissertation
/// Table 4.2), widened where the original was too narrow (window scaling, 32-bit counters).
///
/// Contract: at most 128 bytes (two cache lines; a test checks it). The slow path fills it when the
/// handshake completes (`FastPath.install`) and the fast path's single thread owns it afterwards.
/// Ring positions are offsets `0..<size` into the flow's payload rings; byte counts never exceed the
/// ring size. Counters only grow (wrapping); readers take differences.
@usableFromInline package struct FlowState: Sendable {
    // Identity and delivery.
    /// The application's identifier for this connection, returned in every event.
    package var opaque: UInt64 = 0
    /// The context whose receive queue gets this flow's events.
    package var context: UInt16 = 0
    @usableFromInline package var localPort: UInt16 = 0
    @usableFromInline package var remotePort: UInt16 = 0
    @usableFromInline package var options: FlowOptions = []
    /// Window-scale shifts: what the peer's window field is shifted by, and what ours is.
    package var sendWindowShift: UInt8 = 0
    @usableFromInline package var receiveWindowShift: UInt8 = 0
    package var duplicateAcknowledgments: UInt8 = 0
    @usableFromInline package var closeFlags: FlowCloseFlags = []
    /// An ACK with ECE arrived: the next new data segment carries CWR (RFC 3168 §6.1.2), which tells
    /// a classic-ECN receiver to stop repeating ECE.
    package var congestionWindowReducedDue = false
    /// Data arrived whose ACK the fast path holds back for a round (`DelayedAcknowledgments`); the
    /// next segment sent for the flow carries it.
    package var acknowledgmentOwed = false
    /// How many out-of-order intervals the flow holds beyond RCV.NXT (0 ... `OutOfOrderIntervals.capacity`);
    /// the intervals themselves are in the fast path's side array (`FastPath.outOfOrder`).
    @usableFromInline package var outOfOrderCount: UInt8 = 0
    package var maximumSegmentSize: UInt16 = 536
    @usableFromInline package var remoteAddress: IPv4Address = .any
    @usableFromInline package var remoteMAC: MACAddress = .zero
    /// When we last answered a dataless unacceptable segment with an ACK (`FastPath.answerClock`
    /// units, wrapping): such answers are rate limited per flow so two confused ends cannot start
    /// an ACK war (RFC 5961 §7).
    package var lastAnswerTime: UInt16 = 0

    // Receive side.
    /// Offset of the receive payload ring in the payload region, and its size in bytes.
    package var receiveRingOffset: UInt32 = 0
    @usableFromInline package var receiveRingSize: UInt32 = 0
    /// Ring position where the next in-order byte goes.
    @usableFromInline package var receiveHead: UInt32 = 0
    /// Ring bytes free for new data: the advertised window.
    @usableFromInline package var receiveSpace: UInt32 = 0
    /// RCV.NXT: the next sequence number expected from the peer.
    @usableFromInline package var receiveNext: SequenceNumber = SequenceNumber(0)
    /// TS.Recent: the peer's timestamp value to echo.
    @usableFromInline package var timestampRecent: UInt32 = 0
    /// When TS.Recent was last set (`FastPath.timestampAgeClock` units): after 24 days idle it is
    /// no longer valid for PAWS (RFC 7323 §5.5).
    package var timestampRecentTime: UInt32 = 0

    // Transmit side.
    package var transmitRingOffset: UInt32 = 0
    @usableFromInline package var transmitRingSize: UInt32 = 0
    /// Ring position of the oldest unacknowledged byte; its sequence number is `sendUnacknowledged`.
    @usableFromInline package var transmitHead: UInt32 = 0
    /// Bytes sent from `transmitHead` and not yet acknowledged.
    @usableFromInline package var transmitSent: UInt32 = 0
    /// Bytes queued by the application after the sent ones, not yet sent.
    @usableFromInline package var transmitPending: UInt32 = 0
    /// SND.UNA.
    @usableFromInline package var sendUnacknowledged: SequenceNumber = SequenceNumber(0)
    /// The peer's receive window in bytes (already scaled).
    @usableFromInline package var peerWindow: UInt32 = 0
    /// MAX.SND.WND (RFC 5961 §5.2): the largest window the peer has advertised (scaled).
    package var maximumPeerWindow: UInt32 = 0
    /// SND.WL1: the sequence number of the segment that last updated `peerWindow` (RFC 9293 §3.10.7.4).
    package var windowUpdateSequence: SequenceNumber = SequenceNumber(0)
    /// How far past SND.UNA we had sent when the flow was last rewound (go-back-N), less what has
    /// been acknowledged since: after a rewind the peer may acknowledge up to there, beyond SND.NXT.
    @usableFromInline package var rewoundExtent: UInt32 = 0
    /// The highest right edge of a SACK block the peer reported (SND.FACK, RFC 6675's highest SACKed
    /// octet + 1): while it lies above SND.UNA the peer holds data beyond a hole, which the slow
    /// path's SACK recovery then reads (`FastPath.selectiveAcknowledgments(of:)`).
    package var highestSelectivelyAcknowledged: SequenceNumber = SequenceNumber(0)

    // Congestion feedback for the slow path (monotonic, wrapping).
    package var ackedBytes: UInt32 = 0
    package var ecnMarkedBytes: UInt32 = 0
    package var fastRetransmits: UInt32 = 0
    /// Smoothed round-trip time in microseconds from timestamp echoes (0 until the first sample).
    package var roundTripMicroseconds: UInt32 = 0

    package init() {}

    /// SND.NXT: the sequence number of the next new byte to send (past our FIN while it is in flight).
    @inlinable
    package var sendNext: SequenceNumber { sendUnacknowledged + sequenceNumbersInFlight }

    /// SND.NXT − SND.UNA: the bytes sent and unacknowledged, plus our FIN while it is in flight.
    @inlinable
    package var sequenceNumbersInFlight: UInt32 { closeFlags.contains(.finInFlight) ? transmitSent &+ 1 : transmitSent }

    /// SND.MAX − SND.UNA: how far past SND.UNA the peer may acknowledge (SND.MAX − 1 being the highest
    /// sequence number ever sent, our FIN included); above `sequenceNumbersInFlight` after a rewind.
    @inlinable
    package var sentExtent: UInt32 { max(sequenceNumbersInFlight, rewoundExtent) }

    /// True when our FIN still has to be sent once the pending bytes are.
    @inlinable
    package var finDue: Bool { closeFlags.contains(.finQueued) && closeFlags.isDisjoint(with: [.finInFlight, .finAcknowledged]) }

    /// The window to advertise in our segments (scaled down, saturated at 16 bits).
    @inlinable
    package var advertisedWindow: UInt16 { advertisedWindow(limitedTo: .max) }

    /// The window field for at most `limit` bytes of window (the fast path's `receiveWindowLimit`).
    @inlinable @inline(__always)
    package func advertisedWindow(limitedTo limit: UInt32) -> UInt16 {
        let scaled = min(receiveSpace, limit) >> UInt32(receiveWindowShift)
        return scaled > 0xffff ? 0xffff : UInt16(truncatingIfNeeded: scaled)
    }

    /// Bytes the peer's window still allows beyond what is in flight.
    @inlinable
    package var windowRemaining: UInt32 { peerWindow > transmitSent ? peerWindow &- transmitSent : 0 }

    /// True when the fast path could send something right now: pending bytes the peer's window
    /// admits (any amount, even below one MSS: there is no sender-side silly-window delay), or our
    /// FIN with no byte before it.
    @inlinable
    package var canTransmitNow: Bool {
        transmitPending > 0 ? windowRemaining > 0 : finDue
    }
}
