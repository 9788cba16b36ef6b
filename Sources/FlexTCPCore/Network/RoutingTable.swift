import FlexWire

/// The routes of a host with one interface: its own subnet, reached directly, and an optional
/// default gateway for everything else.
///
/// Contract: `init` throws unless the gateway (if any) is another unicast host inside the subnet.
/// `nextHop(for:)` returns the address whose Ethernet address a packet must be sent to, or throws
/// `NetworkError` for destinations that are not single hosts, this host itself, or unreachable.
package struct RoutingTable: Hashable, Sendable {
    package let interface: InterfaceAddress
    package let gateway: IPv4Address?

    package init(interface: InterfaceAddress, gateway: IPv4Address? = nil) throws(NetworkConfigurationError) {
        if let gateway {
            guard interface.contains(gateway) else { throw .gatewayOutsideSubnet(gateway) }
            guard interface.isUnicast(gateway), gateway != interface.address else { throw .unusableGateway(gateway) }
        }
        self.interface = interface
        self.gateway = gateway
    }

    /// The destination itself when it is in the subnet, else the gateway.
    package func nextHop(for destination: IPv4Address) throws(NetworkError) -> IPv4Address {
        guard destination != interface.address else { throw .ownAddress(destination) }
        guard interface.isUnicast(destination) else { throw .notUnicast(destination) }
        if interface.contains(destination) { return destination }
        guard let gateway else { throw .noRoute(destination) }
        return gateway
    }
}
