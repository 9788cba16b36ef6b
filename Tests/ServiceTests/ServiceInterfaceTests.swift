import FlexTCPCore
import FlexTestHosts
import Foundation
import Testing

/// flextcpd on a real interface (a veth end in a test namespace; needs root, as CI has).
@Suite("flextcpd on an interface", .serialized)
struct ServiceInterfaceTests {
    @Test("SIGTERM with an application attached: exit 0, the application told, the interface left as it was, no socket file, the namespaces gone")
    func shutdownLeavesInterface() throws {
        var namespaces: [String] = []
        try TestNetwork.with { network in
            let serviceHost = try network.makeNamespace()
            let peerHost = try network.makeNamespace()
            namespaces = [serviceHost.name, peerHost.name]
            let veth = try network.makeVethPair(between: serviceHost, and: peerHost)
            try peerHost.assign(TestAddress("198.18.70.2/24"), to: veth.second.name)
            let interface = veth.first.name
            let before = try interfaceState(interface, in: serviceHost)
            let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("flextcpd-\(UUID().uuidString.prefix(8)).sock").path
            let daemon = try ChildProcess("/usr/sbin/ip", ["netns", "exec", serviceHost.name, try BuiltProduct.path("flextcpd"),
                                                           "--interface", interface, "--ip", "198.18.70.1/24", "--service", socketPath])
            try #require(daemon.waitUntil(seconds: 30) { daemon.output.contains("flextcpd ready") }, "\(daemon.errorOutput)")
            let ping = try peerHost.run(["ping", "-c", "1", "-W", "5", "198.18.70.1"], timeout: .seconds(10))
            #expect(ping.succeeded, "the service answers on the interface: \(ping)")
            let application = try AttachClient(path: socketPath)
            _ = try application.attach()

            kill(daemon.process.processIdentifier, SIGTERM)
            #expect(daemon.waitForExit(seconds: 20) == 0, "\(daemon.errorOutput)")
            #expect(application.messagesUntilHangUp(seconds: 5) == [AttachProtocol.goodbye])
            #expect(try interfaceState(interface, in: serviceHost) == before, "flags, MTU and (no) addresses as before")
            #expect(!FileManager.default.fileExists(atPath: socketPath))
            #expect(!FileManager.default.fileExists(atPath: socketPath + ".metrics"))
        }
        #expect(!namespaces.isEmpty && namespaces.allSatisfy { !TestNetwork.namespaceExists($0) })
    }

    /// The interface's link line (flags, MTU, state; no counters) and its IPv4 addresses.
    private func interfaceState(_ interface: String, in namespace: TestNamespace) throws -> [String] {
        [try namespace.runChecked(["ip", "-o", "link", "show", "dev", interface]),
         try namespace.runChecked(["ip", "-o", "-4", "address", "show", "dev", interface])]
    }
}
