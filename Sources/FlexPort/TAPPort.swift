#if canImport(Glibc)
import Glibc
import CFlexShim
import FlexWire

/// A `Port` on a Linux TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI): frames this port transmits
/// arrive at the kernel's interface `interfaceName`, and frames the kernel sends there are received.
///
/// Contract (beyond `Port`):
/// - The device is created in the calling thread's network namespace and lives while the port
///   does (non-persistent); it may be moved to another namespace (`ip link set ... netns ...`).
/// - `macAddress` is the program's address on the wire, never the kernel side's.
/// - Non-blocking reads and writes through buffers allocated once; a frame longer than a buffer
///   is counted in `receiveDrops`; a write the kernel refuses (device down) in `transmitDrops`.
/// - Not thread-safe: one thread uses a port at a time. Closes the device in `deinit`.
public final class TAPPort: Port {
    /// The kernel's name for the device (the requested name, or the one the kernel chose).
    public let interfaceName: String
    public let macAddress: MACAddress
    /// The kernel-side interface's own MAC address (when the port was opened).
    public let kernelMACAddress: MACAddress
    public let mtu: Int
    public let maximumFrameLength: Int

    private let descriptor: Int32
    private let buffers: UnsafeMutableRawPointer
    private let bufferSize: Int
    private let receiveBufferCount: Int
    private let transmitBufferCount: Int
    private var transmitReserved = 0
    private var counters = PortStatistics()

    /// Creates a TAP device named `interfaceName` (nil: the kernel picks "tapN") in the calling
    /// thread's network namespace. Throws `KernelPortError` (no /dev/net/tun, no permission, name taken).
    public init(interfaceName: String? = nil, configuration: TAPConfiguration = TAPConfiguration()) throws(KernelPortError) {
        guard configuration.receiveBufferCount > 0, configuration.transmitBufferCount > 0 else {
            throw .invalidConfiguration("TAP buffer counts must be positive")
        }
        let requested = interfaceName ?? ""
        let descriptor = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .failed("open(/dev/net/tun)", interface: requested, code: errno) }
        let facts: InterfaceFacts
        let name: String
        do {
            name = try Self.attach(descriptor, requestedName: requested)
            facts = try InterfaceFacts(name: name)
            macAddress = try Self.portAddress(configuration.macAddress, kernelAddress: facts.macAddress)
        } catch {
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        self.interfaceName = name
        kernelMACAddress = facts.macAddress
        mtu = facts.mtu
        maximumFrameLength = facts.maximumFrameLength
        // Room for a VLAN tag, and one byte more so that a read filling the buffer reveals truncation.
        bufferSize = (maximumFrameLength + 4 + 1 + 63) / 64 * 64
        receiveBufferCount = configuration.receiveBufferCount
        transmitBufferCount = configuration.transmitBufferCount
        buffers = .allocate(byteCount: bufferSize * (receiveBufferCount + transmitBufferCount), alignment: 64)
    }

    deinit {
        close(descriptor)
        buffers.deallocate()
    }

    public var statistics: PortStatistics { counters }

    public func receive(into batch: FrameBatch) -> Int {
        let room = min(batch.capacity - batch.count, receiveBufferCount)
        var delivered = 0
        var reads = 0
        while delivered < room && reads < receiveBufferCount {
            reads &+= 1
            let buffer = buffers + delivered &* bufferSize
            let count = read(descriptor, buffer, bufferSize)
            guard count > 0 else { break }
            guard count < bufferSize else {
                counters.receiveDrops &+= 1
                continue
            }
            batch.append(Frame(bytes: buffer, length: count, capacity: bufferSize))
            counters.receivedFrames &+= 1
            counters.receivedBytes &+= UInt64(count)
            delivered &+= 1
        }
        return delivered
    }

    public func releaseReceived(_ batch: FrameBatch) { batch.removeAll() }

    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int {
        let wanted = min(min(count, batch.capacity - batch.count), transmitBufferCount - transmitReserved)
        for _ in 0..<max(0, wanted) {
            let buffer = buffers + (receiveBufferCount &+ transmitReserved) &* bufferSize
            batch.append(Frame(bytes: buffer, length: 0, capacity: maximumFrameLength))
            transmitReserved &+= 1
        }
        return max(0, wanted)
    }

    public func commitTransmit(_ batch: FrameBatch) -> Int {
        var sent = 0
        for index in 0..<batch.count {
            let frame = batch[index]
            guard frame.length > 0 else { continue }
            guard frame.length <= maximumFrameLength, write(descriptor, frame.bytes, frame.length) == frame.length else {
                counters.transmitDrops &+= 1
                continue
            }
            counters.transmittedFrames &+= 1
            counters.transmittedBytes &+= UInt64(frame.length)
            sent &+= 1
        }
        transmitReserved = 0
        batch.removeAll()
        return sent
    }

    public func poll() {}

    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool {
        waitUntilReadable(descriptor, timeoutNanoseconds: timeoutNanoseconds)
    }

    /// The TAP descriptor: readable while the kernel holds a frame for us.
    public var readinessDescriptor: Int32? { descriptor }

    private static func attach(_ descriptor: Int32, requestedName: String) throws(KernelPortError) -> String {
        var actual = [CChar](repeating: 0, count: Int(FLEXSHIM_INTERFACE_NAME_CAPACITY))
        let status = flexshim_tun_attach_tap(descriptor, requestedName, &actual)
        guard status == 0 else { throw .failed("TUNSETIFF", interface: requestedName, code: -status) }
        return String(decoding: actual.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func portAddress(_ configured: MACAddress?, kernelAddress: MACAddress) throws(KernelPortError) -> MACAddress {
        if let configured {
            guard !configured.isMulticast, configured != kernelAddress, configured != .zero else {
                throw .invalidConfiguration("TAP port MAC \(configured) must be unicast, non-zero and differ from the kernel side's")
            }
            return configured
        }
        var generator = SystemRandomNumberGenerator()
        var octets = (0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) }
        octets[0] = octets[0] & 0xFC | 0x02  // unicast, locally administered
        var address = MACAddress(octets[0], octets[1], octets[2], octets[3], octets[4], octets[5])
        if address == kernelAddress { address.octets.5 ^= 1 }
        return address
    }
}
#endif
