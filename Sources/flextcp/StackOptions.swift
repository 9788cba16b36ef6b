import ArgumentParser
import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTCPTools
import FlexWire

/// The options every stack subcommand shares: which interface, which address, which gateway.
struct StackOptions: ParsableArguments {
    @Option(help: "The interface to open with AF_PACKET (it must carry no kernel IPv4 address).")
    var interface: String

    @Option(help: "This stack's address and prefix length, A.B.C.D/P.")
    var ip: String

    @Option(help: "The default gateway, inside the subnet.")
    var gateway: String?

    @Option(help: "Bytes of each connection's receive and transmit ring.")
    var ringSize: UInt32 = 256 * 1024

    @Option(help: "Connections held at once (TIME_WAIT included).")
    var connectionCapacity = 256

    @Option(help: ArgumentHelp(
        "MiB the AF_PACKET receive ring may take.",
        discussion: "The ring gets a slot per segment of every connection's window, up to this memory; when that is not "
            + "enough, the connections receiving at once share the window the ring holds."))
    var receiveRingMemory = 64

    /// The segment size a slot is counted for: a 1500-byte MTU less IPv4, TCP and timestamp headers.
    private static let plannedSegmentSize = 1448

    func validate() throws {
        _ = try makeConfiguration()
        guard ringSize >= 4096, ringSize <= 16 << 20 else { throw ValidationError("--ring-size must lie in 4096...16777216") }
        guard connectionCapacity > 0, connectionCapacity <= 65536 else {
            throw ValidationError("--connection-capacity must lie in 1...65536")
        }
        guard receiveRingMemory >= 8, receiveRingMemory <= 65536 else {
            throw ValidationError("--receive-ring-memory must lie in 8...65536 (MiB)")
        }
    }

    /// The receive ring for `connectionCapacity` windows of `ringSize` within `receiveRingMemory`.
    func receiveRingPlan(slotBytes: Int) -> ReceiveRingPlan {
        ReceiveRingPlan(flowCapacity: connectionCapacity, receiveWindow: ringSize, segmentSize: Self.plannedSegmentSize,
                        slotBytes: slotBytes, memoryLimit: receiveRingMemory << 20)
    }

    func makeConfiguration() throws -> StackConfiguration {
        do {
            var configuration = StackConfiguration(interface: try InterfaceAddress(ip))
            if let gateway {
                guard let address = IPv4Address(gateway) else { throw ValidationError("--gateway \"\(gateway)\" is not an IPv4 address") }
                configuration.network.gateway = address
            }
            try configuration.network.validate()
            configuration.receiveRingSize = ringSize
            configuration.transmitRingSize = ringSize
            configuration.flowCapacity = connectionCapacity
            return configuration
        } catch let error as NetworkConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// Opens the interface and builds the stack on it; on failure prints why (as `command`) and exits non-zero.
    func makeLoop(command: String) throws -> RuntimeLoop {
        var configuration = try makeConfiguration()
        var portConfiguration = AFPacketConfiguration()
        let plan = receiveRingPlan(slotBytes: portConfiguration.receiveFrameSize)
        portConfiguration.receiveFrameCount = plan.frameCount
        portConfiguration.transmitFrameCount = 512
        configuration.receiveWindowBudget = plan.windowBudget
        try InterfaceCheck.requireNoKernelAddress(on: interface, command: command)
        do {
            let port = try AFPacketPort(interfaceName: interface, configuration: portConfiguration)
            let loop = try RuntimeLoop(port: port, configuration: configuration)
            loop.network.announce()
            let sharing = plan.windowBudget.map { "receiving connections share \($0 / 1024) KiB of window" }
                ?? "every connection's whole window fits"
            printError("flextcp \(command): receive ring of \(port.ringFrameCounts.receive) frames "
                       + "(\((port.ringFrameCounts.receive * portConfiguration.receiveFrameSize) >> 20) MiB); \(sharing)")
            return loop
        } catch {
            printError(InterfaceCheck.refusal(opening: interface, command: command, error: error))
            throw ExitCode.failure
        }
    }

    /// Builds the stack, its runtime (driven by this thread) and a service on the runtime's context
    /// listening on `port`, and waits for the listen's answer; on failure prints why (as `command`)
    /// and exits non-zero.
    func makeService<Service: ListeningService>(command: String, port: UInt16,
                                                _ make: (Context) -> Service) throws -> (RuntimeLoop, Service) {
        let loop = try makeLoop(command: command)
        let context: Context
        do {
            context = try loop.makeContext()
        } catch {
            printError("flextcp \(command): cannot attach a context to the runtime: \(error)")
            throw ExitCode.failure
        }
        let service = make(context)
        loop.run(clock: MonotonicTimeSource(), step: { _ in service.step() }, until: { service.listenerStatus != nil })
        guard let status = service.listenerStatus, status == .success else {
            printError("flextcp \(command): cannot listen on port \(port): \(service.listenerStatus.map { "\($0)" } ?? "no answer")"
                       + (service.listenerStatus == .addressInUse ? " (another flextcp on this interface uses it; choose another --port)" : ""))
            throw ExitCode.failure
        }
        return (loop, service)
    }

    /// This stack's address (from `--ip`, already validated).
    var address: IPv4Address { (try? InterfaceAddress(ip).address) ?? .any }

    /// Prints the port's receive counters, drops (ring full or frame truncated) included.
    static func reportPort(of loop: RuntimeLoop, command: String) {
        let statistics = loop.port.statistics
        printError("flextcp \(command): port received \(counted(statistics.receivedFrames, "frame")), "
                   + "dropped \(statistics.receiveDrops) on receive (ring full or frame truncated), \(statistics.transmitDrops) on transmit")
    }
}
