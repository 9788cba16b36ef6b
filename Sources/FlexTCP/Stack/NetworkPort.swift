import FlexPort
import FlexTCPCore
import Synchronization

/// Where a `FlexTCPStack` sends and receives its Ethernet frames: a network interface through
/// AF_PACKET, a TAP device, or one end of an `InMemoryWire`.
///
/// Contract: a description; the port is opened when a stack starts on it and closed when the
/// stack's scope ends. An interface must carry no kernel IPv4 address (FlexTCP answers ARP for
/// its own); opening needs CAP_NET_RAW (AF_PACKET) or CAP_NET_ADMIN (TAP).
public struct NetworkPort: Sendable {
    enum Source: Sendable {
        case packetInterface(String)
        case tap(String?)
        case wire(InMemoryWire.End)
    }

    let source: Source

    /// The network interface `name` (e.g. "eth1"), through AF_PACKET rings.
    public static func interface(named name: String) -> NetworkPort { NetworkPort(source: .packetInterface(name)) }

    /// A new TAP device `name` (nil: the kernel picks "tapN"), living as long as the stack.
    public static func tap(named name: String? = nil) -> NetworkPort { NetworkPort(source: .tap(name)) }

    /// Opens the port for a stack of `configuration` (whose receive-window budget an AF_PACKET ring
    /// may limit); `release` must be called once the stack is done with it.
    func open(for configuration: inout StackConfiguration) throws(StackSetupError) -> (port: any Port, release: @Sendable () -> Void) {
        do {
            switch source {
            case .packetInterface(let name):
                var portConfiguration = AFPacketConfiguration()
                let plan = ReceiveRingPlan(flowCapacity: configuration.flowCapacity, receiveWindow: configuration.receiveRingSize,
                                           segmentSize: Self.plannedSegmentSize, slotBytes: portConfiguration.receiveFrameSize,
                                           memoryLimit: Self.receiveRingMemory)
                portConfiguration.receiveFrameCount = plan.frameCount
                configuration.receiveWindowBudget = plan.windowBudget
                return (try AFPacketPort(interfaceName: name, configuration: portConfiguration), {})
            case .tap(let name):
                return (try TAPPort(interfaceName: name), {})
            case .wire(let end):
                guard end.claim() else { throw StackSetupError.portInUse }
                return (end.endpoint, { end.release() })
            }
        } catch let error as StackSetupError {
            throw error
        } catch {
            throw .portUnavailable(String(describing: error))
        }
    }

    /// The segment size an AF_PACKET receive slot is counted for (a 1500-byte MTU less headers).
    private static let plannedSegmentSize = 1448
    /// Bytes an AF_PACKET receive ring may take.
    private static let receiveRingMemory = 64 << 20
}

/// Two `NetworkPort`s joined by an in-memory wire: two stacks in one process, one on each end,
/// talk to each other as over a cable (for tests, examples and in-process use).
///
/// Contract: each end carries one running stack at a time (`StackSetupError.portInUse` otherwise);
/// an end may carry a new stack once the previous one's scope ended. Frames in flight when a stack
/// stops stay on the wire for the next one.
public struct InMemoryWire: Sendable {
    /// One end.
    public let first: NetworkPort
    /// The other end.
    public let second: NetworkPort

    /// A wire holding up to `capacity` frames in flight each way (rounded up to a power of two).
    public init(capacity: Int = 1024) throws(StackSetupError) {
        do {
            // Both ends are FlexTCP stacks in this process: memory does not corrupt frames, so TCP
            // checksums are waived (frames sent with a partial sum arrive as verified).
            let wire = try MemoryWire(capacity: max(2, min(capacity, 1 << 20)), maximumFrameLength: 1514,
                                      trustsPartialChecksums: true)
            first = NetworkPort(source: .wire(End(endpoint: wire.a)))
            second = NetworkPort(source: .wire(End(endpoint: wire.b)))
        } catch {
            throw .resourcesUnavailable("in-memory wire: \(error)")
        }
    }

    /// One end of the wire, claimed by the stack running on it.
    final class End: Sendable {
        let endpoint: MemoryWireEndpoint
        private let claimed = Atomic(false)

        init(endpoint: MemoryWireEndpoint) { self.endpoint = endpoint }

        /// True if the end was free and is now taken.
        func claim() -> Bool { claimed.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged }

        func release() { claimed.store(false, ordering: .sequentiallyConsistent) }
    }
}
