import FlexWire

/// A TCP connection's 4-tuple as the local stack sees it: for a received segment the local side is
/// the destination, for a sent one the source.
///
/// Contract: a plain value; `addressWord` and `portWord` pack it into the 12 bytes the flow table
/// hashes and stores (local before remote in each).
@usableFromInline package struct FlowKey: Hashable, Sendable {
    @usableFromInline package var localAddress: IPv4Address
    @usableFromInline package var localPort: UInt16
    @usableFromInline package var remoteAddress: IPv4Address
    @usableFromInline package var remotePort: UInt16

    @inlinable
    package init(localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16) {
        self.localAddress = localAddress
        self.localPort = localPort
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }

    /// Both addresses: local in the high half, remote in the low half.
    @inlinable
    var addressWord: UInt64 { UInt64(localAddress.value) << 32 | UInt64(remoteAddress.value) }

    /// Both ports: local in the high half, remote in the low half.
    @inlinable
    var portWord: UInt32 { UInt32(localPort) << 16 | UInt32(remotePort) }
}
