import FlexPort

/// The kernel interface a FlexTCP veth system's stacks reach their veth ends through.
public enum FlexTCPVethPort: Sendable, Equatable {
    /// `AFPacketPort`: TPACKET_V2 receive and transmit rings.
    case afPacket
    /// `AFXDPPort` in copy mode, its redirect program attached in the given mode.
    case afXDP(AFXDPConfiguration.AttachMode)

    /// The system name's suffix: `flextcp-veth`, `flextcp-veth-xdp` (native), `flextcp-veth-xdp-generic`.
    var nameSuffix: String {
        switch self {
        case .afPacket: ""
        case .afXDP(.native): "-xdp"
        case .afXDP(.generic): "-xdp-generic"
        }
    }

    /// The port in words, for the systems' summaries.
    var summary: String {
        let kicks = "one sendto for the frames of up to \(FlexTCPVethPort.kickDeferralPolls) loop passes"
        return switch self {
        case .afPacket: "AF_PACKET ports (TPACKET_V2 rings, \(kicks))"
        case .afXDP(let mode): "AF_XDP ports (copy mode, \(mode.rawValue) XDP redirect program, \(kicks))"
        }
    }

    /// Frames committed in one pass wait for the next before the port kicks the kernel, so the ACK
    /// of a request leaves in one `sendto` with the answer the application wrote in between.
    static let kickDeferralPolls = 2

    /// Opens this kind of port on `interfaceName` (in the calling thread's namespace) with receive
    /// room for every frame that can be in flight to it for `spec` (the kernel drops what does not
    /// fit), each slot big enough for one MTU-sized frame: FlexTCP sends no super-segments.
    func open(_ interfaceName: String, for spec: WorkloadSpec) throws(KernelPortError) -> any Port {
        let framesInFlight = BenchmarkWire.framesInFlight(for: spec, mtu: InterfaceMTU.veth)
        switch self {
        case .afPacket:
            var configuration = AFPacketConfiguration()
            configuration.receiveFrameCount = framesInFlight
            configuration.receiveFrameSize = 2048
            configuration.transmitFrameCount = 1024
            configuration.kickDeferralPolls = Self.kickDeferralPolls
            return try AFPacketPort(interfaceName: interfaceName, configuration: configuration)
        case .afXDP(let mode):
            var configuration = AFXDPConfiguration()
            configuration.receiveFrameCount = framesInFlight
            configuration.transmitFrameCount = 1024
            configuration.attachMode = mode
            configuration.kickDeferralPolls = Self.kickDeferralPolls
            return try AFXDPPort(interfaceName: interfaceName, configuration: configuration)
        }
    }
}
