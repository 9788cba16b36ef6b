import FlexPort
import FlexWire

/// A TCP segment addressed to this host that the slow path handles, with where it came from.
struct InboundSegment {
    let frame: Frame
    let segment: TCPSegmentRepr
    let source: IPv4Address
    let sourceMAC: MACAddress
    let payloadLength: Int
    /// Offset of the TCP header in the frame.
    let tcpOffset: Int

    /// The sequence number after the payload (where a FIN on this segment sits).
    var payloadEnd: SequenceNumber { segment.sequenceNumber + UInt32(payloadLength) }
}
