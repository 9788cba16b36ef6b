/// Where each header field sits: the one byte map of the Ethernet II, IPv4 and TCP headers.
///
/// FlexWire's views and reprs read and write their fields at these offsets, and code that parses or
/// writes headers by hand on a hot path (the fast path, header templates) uses the same names, so each
/// offset is written once. Offsets count bytes from the start of their header; multi-byte fields are
/// big-endian. The header lengths live beside them: `EthernetRepr.untaggedHeaderLength`,
/// `IPv4Repr.headerLength`, `TCPSegmentRepr.fixedHeaderLength`.

extension EthernetRepr {
    /// Byte offsets of the Ethernet II header fields (IEEE 802.3 §3.2), from the start of the frame.
    public enum Offset {
        @inlinable public static var destination: Int { 0 }
        @inlinable public static var source: Int { 6 }
        /// The EtherType of an untagged frame; in a tagged frame the tag protocol identifier (802.1Q),
        /// and the payload's EtherType follows the tag.
        @inlinable public static var etherType: Int { 12 }
        /// The tag control information of an 802.1Q-tagged frame.
        @inlinable public static var vlanTagControl: Int { 14 }

        /// The payload's EtherType in a header of `headerLength` bytes: after the tag, when there is one.
        @inlinable static func payloadEtherType(headerLength: Int) -> Int {
            etherType &+ (headerLength &- EthernetRepr.untaggedHeaderLength)
        }
    }
}

extension IPv4Repr {
    /// Byte offsets of the IPv4 header fields (RFC 791 §3.1), from the start of the header.
    public enum Offset {
        /// Version (high four bits) and header length in 32-bit words (low four bits).
        @inlinable public static var versionAndHeaderLength: Int { 0 }
        /// The traffic-class byte: DSCP (high six bits) and ECN (low two bits).
        @inlinable public static var trafficClass: Int { 1 }
        @inlinable public static var totalLength: Int { 2 }
        @inlinable public static var identification: Int { 4 }
        /// One 16-bit word: the DF (0x4000) and MF (0x2000) flags and the fragment offset in 8-byte units.
        @inlinable public static var flagsAndFragmentOffset: Int { 6 }
        @inlinable public static var timeToLive: Int { 8 }
        @inlinable public static var protocolNumber: Int { 9 }
        @inlinable public static var headerChecksum: Int { 10 }
        @inlinable public static var source: Int { 12 }
        @inlinable public static var destination: Int { 16 }
    }
}

extension TCPSegmentRepr {
    /// Byte offsets of the TCP header fields (RFC 9293 §3.1), from the start of the segment.
    /// Options start at `fixedHeaderLength`.
    public enum Offset {
        @inlinable public static var sourcePort: Int { 0 }
        @inlinable public static var destinationPort: Int { 2 }
        @inlinable public static var sequenceNumber: Int { 4 }
        @inlinable public static var acknowledgmentNumber: Int { 8 }
        /// The data offset (high four bits: header length in 32-bit words) and reserved bits.
        @inlinable public static var dataOffset: Int { 12 }
        /// The control bits (`TCPFlags`).
        @inlinable public static var flags: Int { 13 }
        @inlinable public static var window: Int { 14 }
        @inlinable public static var checksum: Int { 16 }
        @inlinable public static var urgentPointer: Int { 18 }
    }
}
