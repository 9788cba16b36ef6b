/// What the fast path tells an application context about one flow after one segment or transmit
/// step: new in-order bytes in the receive ring and/or bytes the peer acknowledged (freed in the
/// transmit ring). This is the payload of an RX context-queue entry (dissertation A.3:
/// `data(opaque, n, ntx)`), extended with the ring position of the new bytes.
///
/// Contract: `receivedBytes` bytes starting at ring position `receivedPosition` are readable by the
/// application until it frees them; `acknowledgedBytes` bytes at the head of the transmit ring may
/// be reused. `closeFlags` reports a FIN: `.peerFinished` when the peer's FIN arrived with (or
/// after) these bytes (end of stream), `.finAcknowledged` when the peer acknowledged ours (the FIN
/// is never counted in `acknowledgedBytes`).
package struct FlowEvent: Sendable, Equatable {
    package var opaque: UInt64
    package var flow: FlowIndex
    package var context: UInt16
    package var receivedPosition: UInt32
    package var receivedBytes: UInt32
    package var acknowledgedBytes: UInt32
    package var closeFlags: FlowCloseFlags

    @inlinable
    package init(opaque: UInt64, flow: FlowIndex, context: UInt16, receivedPosition: UInt32, receivedBytes: UInt32, acknowledgedBytes: UInt32,
                closeFlags: FlowCloseFlags = []) {
        self.opaque = opaque
        self.flow = flow
        self.context = context
        self.receivedPosition = receivedPosition
        self.receivedBytes = receivedBytes
        self.acknowledgedBytes = acknowledgedBytes
        self.closeFlags = closeFlags
    }
}

/// Why the fast path drops a frame or hands it to the slow path; counted per reason.
package enum FastPathVerdict: Int, CaseIterable, Sendable {
    /// Common case: handled entirely by the fast path.
    case handled
    /// Not for the fast path (ARP, ICMP, SYN/FIN/RST, unknown flow, IP fragments): slow path.
    case exception
    /// Malformed: truncated headers, bad lengths.
    case malformed
    /// A bad IPv4 header or TCP checksum.
    case badChecksum
    /// Addressed to another host.
    case notForUs
    /// Payload outside the receive window.
    case outOfWindow
    /// For an established flow, but the Ethernet destination is not our MAC (broadcast, multicast,
    /// another host's): dropped.
    case foreignDestinationMAC
    /// The ACK field acknowledges something we never sent (above SND.MAX): dropped and answered
    /// with an ACK (RFC 9293 §3.10.7.4, RFC 5961 §5.2).
    case acknowledgesUnsent
    /// The ACK field is older than SND.UNA − MAX.SND.WND: dropped and answered with an ACK (RFC 5961 §5.2).
    case acknowledgmentTooOld
    /// PAWS: the timestamp is older than TS.Recent: dropped and answered with an ACK (RFC 7323 §5.3).
    case timestampTooOld
    /// Segment text at or beyond the peer's FIN: ignored (the ACK field is still processed).
    case dataAfterFIN
    /// Out-of-order payload that touches none of the flow's out-of-order intervals while it holds
    /// `OutOfOrderIntervals.capacity` of them already: dropped unacknowledged (the sender sends it again).
    case outOfOrderFull
}
