import FlexWire

/// Answers ARP requests for one address: what a scripted peer without a kernel address needs so
/// the host under test can reach it.
public struct ARPResponder: Sendable {
    public let address: IPv4Address
    public let macAddress: MACAddress

    public init(address: IPv4Address, macAddress: MACAddress) {
        self.address = address
        self.macAddress = macAddress
    }

    /// The reply to `frame` if it is an ARP request for our address, else nil.
    public func reply(to frame: [UInt8]) -> [UInt8]? {
        guard let parsed = frame.withUnsafeBytes({ try? ParsedFrame(parsing: $0) }),
              case let .arp(request) = parsed.headers.network,
              request.operation == .request, request.targetProtocolAddress == address else { return nil }
        let reply = ARPRepr(operation: .reply, senderHardwareAddress: macAddress, senderProtocolAddress: address,
                            targetHardwareAddress: request.senderHardwareAddress, targetProtocolAddress: request.senderProtocolAddress)
        return try? FrameHeaders(ethernet: EthernetRepr(destination: request.senderHardwareAddress, source: macAddress, etherType: .arp),
                                 network: .arp(reply)).frame()
    }
}
