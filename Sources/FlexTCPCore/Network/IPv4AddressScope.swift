import FlexWire

// What kind of destination an IPv4 address names, as far as routing and replies care.
extension IPv4Address {
    /// 0.0.0.0: "this host" before it has an address (ARP probes use it as sender).
    @inlinable var isUnspecified: Bool { value == 0 }
    /// 224.0.0.0/4.
    @inlinable var isMulticast: Bool { value >> 28 == 0xE }
    /// 127.0.0.0/8.
    @inlinable var isLoopback: Bool { value >> 24 == 127 }
    /// 255.255.255.255.
    @inlinable var isLimitedBroadcast: Bool { value == .max }
}
