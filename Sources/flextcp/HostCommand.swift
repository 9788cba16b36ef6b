import ArgumentParser
import FlexPort
import FlexTCPCore
import FlexTCPTools
import FlexWire

/// `flextcp host`: a network host on a Linux interface (AF_PACKET) that answers ARP and ping.
struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Answer ARP and ping on an interface until stopped (Ctrl-C) or --seconds pass.",
        discussion: """
            The interface must carry no kernel IPv4 address of its own, or the kernel answers too.
            """)

    @Option(help: "The interface to open with AF_PACKET.")
    var interface: String

    @Option(help: "This host's address and prefix length, A.B.C.D/P.")
    var ip: String

    @Option(help: "The default gateway, inside the subnet.")
    var gateway: String?

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @Option(help: "Record every frame received and sent to this pcap file.")
    var pcap: String?

    func validate() throws {
        _ = try makeConfiguration()
        if let seconds { guard seconds.isFinite, seconds > 0 else { throw ValidationError("--seconds must be positive") } }
    }

    private func makeConfiguration() throws -> NetworkHostConfiguration {
        do {
            var configuration = NetworkHostConfiguration(interface: try InterfaceAddress(ip))
            if let gateway {
                guard let address = IPv4Address(gateway) else { throw ValidationError("--gateway \"\(gateway)\" is not an IPv4 address") }
                configuration.gateway = address
            }
            try configuration.validate()
            return configuration
        } catch let error as NetworkConfigurationError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let configuration = try makeConfiguration()
        try InterfaceCheck.requireNoKernelAddress(on: interface, command: "host")
        let port: AFPacketPort
        do {
            port = try AFPacketPort(interfaceName: interface)
        } catch {
            printError(InterfaceCheck.refusal(opening: interface, command: "host", error: error))
            throw ExitCode.failure
        }
        let writer: PcapWriter?
        do {
            writer = try pcap.map { path throws(PcapWriterError) in try PcapWriter(path: path) }
        } catch {
            printError("flextcp host: cannot record to \(pcap ?? ""): \(error)")
            throw ExitCode.failure
        }
        let host = try NetworkHost(port: writer.map { PcapRecordingPort(wrapping: port, writer: $0) } ?? port,
                                   configuration: configuration)
        let clock = MonotonicTimeSource()
        let deadline = seconds.map { clock.now() + UInt64($0 * 1e9) } ?? .max
        StopSignal.install()
        print("flextcp host: \(configuration.interface) at \(host.macAddress) on \(interface) answers ARP and ping"
            + (seconds.map { " for \($0) s" } ?? "") + "; stop with Ctrl-C")
        host.announce()
        host.run(clock: clock, until: deadline, onEvent: { print($0) }) { StopSignal.isRequested }
        do {
            try writer?.close()
        } catch {
            printError("flextcp host: recording to \(pcap ?? "") failed: \(error)")
        }
        let statistics = host.statistics
        print("received \(counted(statistics.receivedFrames, "frame")); answered \(counted(statistics.arpRequestsAnswered, "ARP request")) "
            + "and \(counted(statistics.echoRequestsAnswered, "echo request"))")
        let drops = statistics.drops.nonZero.map { "\($0.reason): \($0.count)" }
        print("dropped \(counted(statistics.drops.total, "frame"))" + (drops.isEmpty ? "" : " (" + drops.joined(separator: ", ") + ")"))
        let reassembly = statistics.reassembly
        if reassembly.fragmentsReceived > 0 {
            let reasons = reassembly.nonZeroDrops.map { "\($0.reason): \($0.count)" }
            print("reassembled \(counted(reassembly.datagramsReassembled, "datagram")) from \(counted(reassembly.fragmentsReceived, "fragment"))"
                + (reasons.isEmpty ? "" : "; dropped " + reasons.joined(separator: ", ")))
        }
    }
}
