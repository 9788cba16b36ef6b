#if os(Linux)
import FlexWire

/// How a `TAPPort` opens its device and sizes its buffers.
///
/// Contract: a plain value; `TAPPort.init` throws `KernelPortError.invalidConfiguration` for
/// counts out of range or a MAC address that is multicast or equal to the kernel side's.
public struct TAPConfiguration: Sendable {
    /// The port's own MAC address (the program's side of the wire). nil: a random, locally
    /// administered unicast address that differs from the kernel-side device's address.
    public var macAddress: MACAddress?
    /// Preallocated receive buffers: the most frames one `receive` call returns.
    public var receiveBufferCount: Int = 64
    /// Preallocated transmit buffers: the most slots reserved between two commits.
    public var transmitBufferCount: Int = 64

    public init(macAddress: MACAddress? = nil) { self.macAddress = macAddress }
}
#endif
