import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTCPTools
import FlexWire
import Synchronization

/// The test network of `--memory-peer`: the far end of the service's in-memory wire, a stack of
/// its own at `address` (in the service's subnet) running an echo server on port 7, on a thread.
///
/// Contract: `start` builds and runs it; `stop` ends and joins the thread. For tests and demos:
/// applications of the service reach a peer without any interface or privilege.
final class MemoryPeer: @unchecked Sendable {
    // Sendable: the loop and echo server are touched by the peer's thread only; `stopping` is atomic.
    static let echoPort: UInt16 = 7
    private let stopping = Atomic<Bool>(false)
    private var thread: JoinableThread?

    /// Starts the peer on `port` at `address`/`prefixLength` with room for `flowCapacity` connections.
    init(port: MemoryWireEndpoint, address: IPv4Address, prefixLength: Int, flowCapacity: Int) throws {
        var configuration = StackConfiguration(interface: try InterfaceAddress(address: address, prefixLength: prefixLength))
        configuration.flowCapacity = flowCapacity
        let loop = try RuntimeLoop(port: port, configuration: configuration)
        let echo = EchoService(context: try loop.makeContext(), port: Self.echoPort, backlog: UInt32(min(flowCapacity, 65535)))
        nonisolated(unsafe) let unchecked = (loop, echo)
        thread = try JoinableThread { [self] in
            let (loop, echo) = unchecked
            loop.run(clock: MonotonicTimeSource(), step: { _ in echo.step() }, until: { stopping.load(ordering: .relaxed) })
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
    }
}
