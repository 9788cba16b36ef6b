/// An ARP request or reply for IPv4 over Ethernet, as a value.
///
/// Contract: `init(parsing:)` throws `.unsupportedARPOperation` for operations other than 1 and 2;
/// `emit(into:)` writes exactly `packetLength` (28) bytes and returns that count.
public struct ARPRepr: Hashable, Sendable {
    /// The ARP operation code.
    public enum Operation: UInt16, Sendable {
        case request = 1
        case reply = 2
    }

    @inlinable public static var packetLength: Int { 28 }
    @inlinable static var ethernetHardwareType: UInt16 { 1 }

    public var operation: Operation
    public var senderHardwareAddress: MACAddress
    public var senderProtocolAddress: IPv4Address
    public var targetHardwareAddress: MACAddress
    public var targetProtocolAddress: IPv4Address

    @inlinable
    public init(operation: Operation, senderHardwareAddress: MACAddress, senderProtocolAddress: IPv4Address,
                targetHardwareAddress: MACAddress, targetProtocolAddress: IPv4Address) {
        self.operation = operation
        self.senderHardwareAddress = senderHardwareAddress
        self.senderProtocolAddress = senderProtocolAddress
        self.targetHardwareAddress = targetHardwareAddress
        self.targetProtocolAddress = targetProtocolAddress
    }

    @inlinable
    public init<P>(parsing packet: ARPPacket<P>) throws(WireError) {
        guard let operation = Operation(rawValue: packet.operation) else {
            throw .unsupportedARPOperation(packet.operation)
        }
        self.init(operation: operation,
                  senderHardwareAddress: packet.senderHardwareAddress, senderProtocolAddress: packet.senderProtocolAddress,
                  targetHardwareAddress: packet.targetHardwareAddress, targetProtocolAddress: packet.targetProtocolAddress)
    }

    @inlinable
    public func emit(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let base = try buffer.start(requiring: Self.packetLength)
        base.storeBigEndian(Self.ethernetHardwareType, at: 0)
        base.storeBigEndian(EtherType.ipv4.rawValue, at: 2)
        base.storeByte(6, at: 4)
        base.storeByte(4, at: 5)
        base.storeBigEndian(operation.rawValue, at: 6)
        senderHardwareAddress.store(to: base + 8)
        senderProtocolAddress.store(to: base + 14)
        targetHardwareAddress.store(to: base + 18)
        targetProtocolAddress.store(to: base + 24)
        return Self.packetLength
    }
}
