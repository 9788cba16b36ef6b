import FlexWire

/// Everything a `NetworkHost` needs besides its port. Times are nanoseconds of the caller's clock.
///
/// Contract: a plain value; `NetworkHost.init` validates it and throws `NetworkConfigurationError`.
package struct NetworkHostConfiguration: Hashable, Sendable {
    /// This host's address and subnet.
    package var interface: InterfaceAddress
    /// The default gateway (inside the subnet), or nil for a host that reaches only its subnet.
    package var gateway: IPv4Address?
    package var arp = ARPConfiguration()
    /// Bounds on reassembling IPv4 fragments.
    package var reassembly = ReassemblyConfiguration()
    /// TTL of the IPv4 packets this host sends.
    package var timeToLive: UInt8 = 64
    /// The ICMP echo identifier of this host's echo requests; replies with another are not ours.
    package var echoIdentifier: UInt16 = 0x4654
    /// Echo requests that may wait for replies at one time (1 ... 65 536).
    package var echoRequestLimit = 64
    /// Events kept until `drainEvents` (1 ... 65 536); later ones are counted as lost.
    package var eventCapacity = 256
    /// Frames received per `poll` (1 ... 4096).
    package var receiveBatchSize = 64

    package init(interface: InterfaceAddress, gateway: IPv4Address? = nil) {
        self.interface = interface
        self.gateway = gateway
    }

    /// Throws the first problem: an unusable gateway or a setting out of range.
    package func validate() throws(NetworkConfigurationError) {
        _ = try RoutingTable(interface: interface, gateway: gateway)
        try arp.validate()
        try reassembly.validate()
        guard timeToLive > 0 else { throw .invalidSetting("time to live must be positive") }
        guard (1...65_536).contains(echoRequestLimit) else { throw .invalidSetting("echo request limit must be 1...65536") }
        guard (1...65_536).contains(eventCapacity) else { throw .invalidSetting("event capacity must be 1...65536") }
        guard (1...4096).contains(receiveBatchSize) else { throw .invalidSetting("receive batch size must be 1...4096") }
    }
}
