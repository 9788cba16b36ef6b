import FlexWire

/// Why a network host's configuration cannot be used; thrown when it is set up, never later.
package enum NetworkConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not of the form `A.B.C.D/P` with P in 1...32.
    case malformedInterfaceAddress(String)
    /// The address is not a unicast host address of its subnet (unspecified, loopback, multicast,
    /// broadcast, or the subnet's own network or broadcast address).
    case unusableInterfaceAddress(IPv4Address, prefixLength: Int)
    /// The gateway lies outside the interface's subnet, so it could never be reached directly.
    case gatewayOutsideSubnet(IPv4Address)
    /// The gateway is not a unicast host address of the subnet, or is this host's own address.
    case unusableGateway(IPv4Address)
    /// A numeric setting is out of its range; the text names the setting and the range.
    case invalidSetting(String)

    package var description: String {
        switch self {
        case let .malformedInterfaceAddress(text):
            "\"\(text)\" is not an interface address of the form A.B.C.D/P with P in 1...32"
        case let .unusableInterfaceAddress(address, prefixLength):
            "\(address)/\(prefixLength) is not a unicast host address of its subnet"
        case let .gatewayOutsideSubnet(gateway):
            "the gateway \(gateway) is outside the interface's subnet"
        case let .unusableGateway(gateway):
            "the gateway \(gateway) is not another unicast host of the subnet"
        case let .invalidSetting(text):
            text
        }
    }
}
