#if os(Linux)
import Testing
import Glibc
import FlexPort
import FlexWire
import FlexTestHosts

extension PortVethHosts {
    /// Opens an AFXDPPort (on queue 0) at the port's end, after giving the kernel's end one transmit
    /// queue: on veth a frame arrives on the queue its sender sent it on.
    func openXDPPort(_ configuration: AFXDPConfiguration) throws -> AFXDPPort {
        try kernelSide.runChecked(["ethtool", "-L", kernelInterface, "tx", "1"])
        return try portSide.perform { try AFXDPPort(interfaceName: portInterface, configuration: configuration) }
    }

    /// What `ip link` says about the port's end (it names an attached XDP program: "xdpgeneric", "xdp").
    func portLinkText() throws -> String {
        try portSide.runChecked(["ip", "-details", "link", "show", "dev", portInterface])
    }
}

private func configuration(_ mode: AFXDPConfiguration.AttachMode) -> AFXDPConfiguration {
    var configuration = AFXDPConfiguration()
    configuration.attachMode = mode
    return configuration
}

/// Whether the running kernel's release (uname) is at least `major.minor`.
private func kernelVersionAtLeast(_ major: Int, _ minor: Int) -> Bool {
    var names = utsname()
    uname(&names)
    let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
    guard parts.count == 2 else { return false }
    return (parts[0], parts[1]) >= (major, minor)
}

@Suite("AFXDPPort on a veth pair", .enabled(if: runsAsRoot))
struct AFXDPPortTests {
    @Test("reads the interface's facts; the redirect program is attached while the port lives, detached after",
          arguments: AFXDPConfiguration.AttachMode.allCases)
    func programLifetime(mode: AFXDPConfiguration.AttachMode) throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            do {
                let port = try hosts.openXDPPort(configuration(mode))
                #expect(port.macAddress == (try kernelMAC(of: hosts.portInterface, in: hosts.portSide)))
                #expect(port.mtu == 1500)
                #expect(port.maximumFrameLength == 1514)
                let attached = try hosts.portLinkText()
                #expect(attached.contains("prog/xdp"), "\(attached)")
                #expect(attached.contains(mode == .generic ? " xdpgeneric " : " xdp "), "\(attached)")
            }
            #expect(!(try hosts.portLinkText()).contains("prog/xdp"), "the program stays attached after the port closed")
        }
    }

    @Test("receives the kernel's ARP requests; its ARP reply is accepted by the kernel", arguments: AFXDPConfiguration.AttachMode.allCases)
    func arpExchange(mode: AFXDPConfiguration.AttachMode) throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            let port = try hosts.openXDPPort(configuration(mode))
            try checkARPExchange(port: port, kernel: hosts.kernelSide, kernelInterface: hosts.kernelInterface)
        }
    }

    @Test("a batch goes out with one sendto per framesPerKick frames (64 here, 32 before Linux 6.17); nothing queued costs none; chunks are reused",
          arguments: AFXDPConfiguration.AttachMode.allCases)
    func transmitKicks(mode: AFXDPConfiguration.AttachMode) throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            var settings = configuration(mode)
            settings.transmitFrameCount = 64
            let port = try hosts.openXDPPort(settings)
            let destination = try kernelMAC(of: hosts.kernelInterface, in: hosts.kernelSide)
            let receivedBefore = try interfaceCounter("rx_packets", of: hosts.kernelInterface, in: hosts.kernelSide)
            let batch = FrameBatch(capacity: 64)

            #expect(commitTestFrames(on: port, batch: batch, count: 20, to: destination) == 20)
            #expect(port.statistics.transmitKicks == 1, "20 frames, one kick")
            #expect(commitTestFrames(on: port, batch: batch, count: 0, reserving: 8, to: destination) == 0)
            port.poll()
            #expect(port.statistics.transmitKicks == 1, "nothing queued, no kick")
            #expect(port.framesPerKick == (kernelVersionAtLeast(6, 17) ? 64 : 32), "the kernel's budget per sendto")
            #expect(commitTestFrames(on: port, batch: batch, count: 50, to: destination) == 50)
            let kicksFor50 = (50 + port.framesPerKick - 1) / port.framesPerKick
            #expect(port.statistics.transmitKicks == UInt64(1 + kicksFor50), "50 frames at \(port.framesPerKick) per kick")
            var queued = 70
            for _ in 0..<20 {
                queued += commitTestFrames(on: port, batch: batch, count: 50, to: destination)
                port.poll()
            }
            #expect(queued > 4 * 64, "the transmit chunks came back from the completion ring")
            #expect(try waitForKernelFrames(hosts, since: receivedBefore, count: queued) == queued)
            #expect(port.statistics.transmittedFrames == UInt64(queued))
            #expect(port.statistics.transmitDrops == 0)
        }
    }
}
#endif
