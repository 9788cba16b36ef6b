import FlexWire

extension SipHash24 {
    /// Absorbs a connection's 4-tuple as two words: the addresses, then the ports (local first).
    mutating func appendConnection(
        localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16
    ) {
        append(UInt64(localAddress.value) &<< 32 | UInt64(remoteAddress.value))
        append(UInt64(localPort) &<< 16 | UInt64(remotePort))
    }
}
