/// The protocol layer a `WireError` refers to.
public enum WireLayer: Sendable, Equatable {
    case ethernet, arp, ipv4, icmp, udp, tcp
}

/// Everything that can be wrong with bytes on the wire, or with a buffer too small to emit into.
///
/// Contract: every checking initializer, `parse` and `emit` in FlexWire throws only this type
/// (typed throws, no allocation); malformed input never traps.
public enum WireError: Error, Sendable, Equatable {
    /// The buffer is shorter than the layer's fixed header (or the ARP packet, or the 802.1Q tag).
    case truncated(WireLayer)
    /// A header-length field is impossible: IPv4 IHL < 5; TCP data offset < 5 or past the segment.
    case badHeaderLength(WireLayer)
    /// A total-length field disagrees with the buffer or the header: IPv4 total length, UDP length.
    case badLength(WireLayer)
    /// The IPv4 version field is not 4.
    case badVersion(UInt8)
    /// The stored checksum does not match the bytes.
    case badChecksum(WireLayer)
    /// ARP for something other than IPv4 over Ethernet (hardware type 1, protocol 0x0800, lengths 6/4).
    case unsupportedARPFormat
    /// An ARP operation other than request (1) or reply (2).
    case unsupportedARPOperation(UInt16)
    /// A TCP option (its length byte, or the bytes it claims) runs past the end of the TCP header.
    case optionOverrun(kind: UInt8)
    /// A TCP option whose length byte is 0 or 1, which cannot even cover its own kind and length bytes.
    case optionLengthTooSmall(kind: UInt8)
    /// A known TCP option with the wrong length (MSS 4, window scale 3, SACK-permitted 2,
    /// timestamps 10, SACK 2 + 8n with n in 1...4).
    case badOptionLength(kind: UInt8)
    /// The destination buffer of an `emit` is too small for what it has to write.
    case bufferTooSmall
}
