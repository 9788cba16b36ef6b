import FlexWire

/// What a port does with the TCP checksum of a transmitted frame marked `.checksumPartial`,
/// whose checksum field holds the folded, uncomplemented IPv4 pseudo-header sum (as Linux leaves it
/// for CHECKSUM_PARTIAL): "compute only what the port will not".
///
/// Contract: the IPv4 header checksum is always the sender's. A sender marks frames `.checksumPartial`
/// only on a port whose offload is not `.none`; a frame without the mark leaves exactly as written.
public enum TransmitChecksumOffload: Sendable, Equatable {
    /// The port sends bytes as written: every frame needs its complete checksum.
    case none
    /// The port, or the kernel or device behind it, completes the checksum (the one's complement of
    /// the sum from the transport header to the end of the frame) before the frame leaves the machine
    /// (AF_PACKET with a virtio-net header: NEEDS_CSUM; a local receiver trusts it without the sum).
    case completesPartial
    /// The frame reaches a receiver that trusts the link and needs no transport checksum at all: it
    /// is delivered marked `.checksumVerified` too (an in-memory wire whose ends both agreed).
    case trustedLink

    /// The sender may leave the transport checksum partial (and mark the frame) on such a port.
    @inlinable public var acceptsPartialChecksums: Bool { self != .none }
}

extension Frame {
    /// Where the checksum of an untagged IPv4 frame carrying TCP sits, as virtio-net's csum_start and
    /// csum_offset: the TCP header's offset from the frame's first byte, and the checksum field's
    /// offset within it. nil for any other frame, or one too short to hold the field: a port cannot
    /// complete such a frame's checksum.
    @inlinable
    public var tcpChecksumPosition: (start: Int, offset: Int)? {
        let ip = EthernetRepr.untaggedHeaderLength
        guard length >= ip &+ IPv4Repr.headerLength,
              UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: EthernetRepr.Offset.etherType, as: UInt16.self))
                == EtherType.ipv4.rawValue else { return nil }
        let versionAndLength = bytes.load(fromByteOffset: ip &+ IPv4Repr.Offset.versionAndHeaderLength, as: UInt8.self)
        let start = ip &+ Int(versionAndLength & 0x0f) &* 4
        guard versionAndLength >> 4 == 4, start >= ip &+ IPv4Repr.headerLength,
              bytes.load(fromByteOffset: ip &+ IPv4Repr.Offset.protocolNumber, as: UInt8.self) == IPProtocol.tcp.rawValue,
              start &+ TCPSegmentRepr.Offset.checksum &+ 2 <= length else { return nil }
        return (start, TCPSegmentRepr.Offset.checksum)
    }
}
