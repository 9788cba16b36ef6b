#if os(Linux)
import Testing
import Glibc
import FlexPort
import FlexWire
import FlexTestHosts

@Suite("TAPPort", .enabled(if: runsAsRoot))
struct TAPPortTests {
    @Test("moved into the kernel's namespace: receives its ARP requests; its ARP reply is accepted")
    func arpExchange() throws {
        try TestNetwork.with { network in
            let kernel = try network.makeNamespace()
            let port = try TAPPort(interfaceName: network.makeInterfaceName())
            try network.moveInterface(port.interfaceName, into: kernel)
            try kernel.assign(TestAddress(TestAddresses.kernelWithPrefix), to: port.interfaceName)
            try checkARPExchange(port: port, kernel: kernel, kernelInterface: port.interfaceName)
            #expect(port.statistics.transmittedFrames == 1)
        }
    }

    @Test("opened inside a namespace: the device lives there, named by the kernel, with a MAC of its own")
    func openedInsideNamespace() throws {
        try TestNetwork.with { network in
            let namespace = try network.makeNamespace()
            let port = try namespace.perform { try TAPPort() }
            #expect(port.interfaceName.hasPrefix("tap"))
            #expect(try namespace.run(["ip", "link", "show", "dev", port.interfaceName]).succeeded)
            #expect(port.kernelMACAddress == (try kernelMAC(of: port.interfaceName, in: namespace)))
            #expect(port.macAddress != port.kernelMACAddress)
            #expect(port.macAddress.octets.0 & 0x03 == 0x02, "unicast, locally administered")
            #expect(port.maximumFrameLength == port.mtu + 14)
        }
    }

    @Test("refuses a MAC the wire cannot use and a name longer than IFNAMSIZ")
    func configurationErrors() throws {
        #expect(throws: KernelPortError.self) {
            _ = try TAPPort(configuration: TAPConfiguration(macAddress: MACAddress(0x01, 0, 0x5e, 0, 0, 1)))
        }
        let error = try #require(throws: KernelPortError.self) { _ = try TAPPort(interfaceName: "ftx-name-too-long") }
        #expect(error.errorNumber == ENAMETOOLONG)
    }
}
#endif
