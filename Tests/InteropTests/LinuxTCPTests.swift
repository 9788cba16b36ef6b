#if os(Linux)
import Testing
import FlexPort
import FlexTCPCore
import FlexTCPTools
import FlexWire
import FlexTestHosts

/// How the Linux peer is set up for one interop run.
struct LinuxPeerVariant: CustomStringConvertible, Sendable {
    var timestamps: Bool
    var offloads: Bool

    var description: String { "timestamps \(timestamps ? "on" : "off"), offloads \(offloads ? "default" : "off")" }

    static let all = [LinuxPeerVariant(timestamps: true, offloads: true), LinuxPeerVariant(timestamps: false, offloads: true),
                      LinuxPeerVariant(timestamps: true, offloads: false), LinuxPeerVariant(timestamps: false, offloads: false)]
}

/// Namespace A holds FlexTCP's AF_PACKET veth end (no kernel address, 198.18.9.2 is the stack's);
/// namespace B holds the Linux kernel at 198.18.9.1/24, set up as the variant says.
private struct LinuxPeer {
    static let kernelAddress = IPv4Address(198, 18, 9, 1)
    let stackSide: TestNamespace
    let kernel: TestNamespace
    let pair: VethPair

    init(_ network: TestNetwork, variant: LinuxPeerVariant) throws {
        stackSide = try network.makeNamespace()
        kernel = try network.makeNamespace()
        pair = try network.makeVethPair(between: stackSide, and: kernel)
        try kernel.assign(TestAddress("198.18.9.1/24"), to: pair.second.name)
        if !variant.timestamps { _ = try kernel.runChecked(["sysctl", "-w", "net.ipv4.tcp_timestamps=0"]) }
        if !variant.offloads {
            _ = try kernel.runChecked(["ethtool", "-K", pair.second.name, "tso", "off", "gso", "off", "tx", "off"])
        }
    }

    /// The stack on an AFPacketPort, or on an AFXDPPort attached in `xdpMode` (the kernel's end then
    /// gets one transmit queue, so every frame arrives on the port's queue).
    func makeStack(xdpMode: AFXDPConfiguration.AttachMode? = nil) throws -> RuntimeLoop {
        let port: any Port
        if let xdpMode {
            _ = try kernel.runChecked(["ethtool", "-L", pair.second.name, "tx", "1"])
            var portConfiguration = AFXDPConfiguration()
            portConfiguration.attachMode = xdpMode
            port = try stackSide.perform { try AFXDPPort(interfaceName: pair.first.name, configuration: portConfiguration) }
        } else {
            var portConfiguration = AFPacketConfiguration()
            portConfiguration.receiveFrameCount = 256
            port = try stackSide.perform { try AFPacketPort(interfaceName: pair.first.name, configuration: portConfiguration) }
        }
        var configuration = StackConfiguration(interface: try InterfaceAddress("198.18.9.2/24"))
        configuration.flowCapacity = 128
        configuration.receiveRingSize = 256 * 1024
        configuration.transmitRingSize = 256 * 1024
        return try RuntimeLoop(port: port, configuration: configuration)
    }
}

/// Python run in namespace B: `clients` connect to FlexTCP and each sends `bytes` random bytes, then
/// waits for the close; prints one SHA-256 per connection.
private func linuxClients(connections: Int, bytes: Int, port: UInt16) -> [String] {
    let script = """
        import socket, hashlib, os, threading
        def run(i):
            data = os.urandom(\(bytes))
            s = socket.create_connection(("198.18.9.2", \(port)), timeout=60)
            s.sendall(data); s.shutdown(socket.SHUT_WR)
            while s.recv(65536): pass
            print(hashlib.sha256(data).hexdigest(), flush=True)
        ts = [threading.Thread(target=run, args=(i,)) for i in range(\(connections))]
        [t.start() for t in ts]; [t.join() for t in ts]
        """
    return ["timeout", "120", "python3", "-c", script]
}

/// Python run in namespace B: a server taking `connections` connections, printing `bytes sha256` per connection at EOF.
private func linuxServer(connections: Int, port: UInt16) -> [String] {
    let script = """
        import socket, hashlib, threading
        ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("198.18.9.1", \(port))); ls.listen(256); ls.settimeout(60)
        print("listening", flush=True)
        def serve(c):
            c.settimeout(60); h = hashlib.sha256(); n = 0
            while True:
                b = c.recv(262144)
                if not b: break
                h.update(b); n += len(b)
            c.close(); print(f"{n} {h.hexdigest()}", flush=True)
        ts = []
        for i in range(\(connections)):
            c, a = ls.accept(); t = threading.Thread(target=serve, args=(c,)); t.start(); ts.append(t)
        [t.join() for t in ts]
        """
    return ["timeout", "120", "python3", "-c", script]
}

@Suite("FlexTCP against the Linux kernel's TCP", .enabled(if: runsAsRoot), .serialized)
struct LinuxTCPTests {
    static let megabytes10 = 10_000_000
    /// Seconds of the monotonic clock a transfer may take (a safety bound).
    static let limit: UInt64 = 90

    @Test("Linux clients send 10 MB each to a FlexTCP sink; SHA-256 matches", arguments: LinuxPeerVariant.all)
    func linuxClientsToSink(variant: LinuxPeerVariant) throws {
        try sinkFromLinux(variant: variant, connections: 1)
    }

    @Test("FlexTCP sends 10 MB to a Linux server; SHA-256 matches", arguments: LinuxPeerVariant.all)
    func sendToLinuxServer(variant: LinuxPeerVariant) throws {
        try sendToLinux(variant: variant, connections: 1)
    }

    @Test("Many concurrent connections both ways, 10 MB each", arguments: [10])
    func concurrentConnections(connections: Int) throws {
        let variant = LinuxPeerVariant(timestamps: true, offloads: true)
        try sinkFromLinux(variant: variant, connections: connections)
        try sendToLinux(variant: variant, connections: connections)
    }

    /// AF_XDP in copy mode carries no offload facts, so the peer completes its checksums and
    /// segments (offloads off); the native mode on veth turns the peer's segmentation off by itself.
    @Test("over an AF_XDP port: Linux sends 10 MB to a FlexTCP sink and FlexTCP 10 MB to Linux; SHA-256 matches",
          arguments: AFXDPConfiguration.AttachMode.allCases)
    func overAFXDP(mode: AFXDPConfiguration.AttachMode) throws {
        let variant = LinuxPeerVariant(timestamps: true, offloads: false)
        try sinkFromLinux(variant: variant, connections: 1, xdpMode: mode)
        try sendToLinux(variant: variant, connections: 1, xdpMode: mode)
    }

    private func sinkFromLinux(variant: LinuxPeerVariant, connections: Int, xdpMode: AFXDPConfiguration.AttachMode? = nil) throws {
        try TestNetwork.with { network in
            let peer = try LinuxPeer(network, variant: variant)
            let stack = try peer.makeStack(xdpMode: xdpMode)
            let loop = stack
            let sink = SinkService(context: try loop.makeContext(), port: 5001)
            stack.network.announce()
            try openListener(of: sink, on: loop)
            let clients = try peer.kernel.start(linuxClients(connections: connections, bytes: Self.megabytes10, port: 5001))
            var reports: [StreamReport] = []
            let seconds = drive(loop, limit: Self.limit, step: { _ in
                let busy = sink.step()
                sink.drainReports { reports.append($0) }
                return busy
            }, until: { reports.count == connections }) ?? Double(Self.limit)
            // Let the last FINs and ACKs out while the clients finish.
            _ = drive(loop, limit: Self.limit, step: { _ in sink.step() }, until: { stack.slowPath.availableRingPairs == 128 })
            let result = clients.wait(timeout: .seconds(30))
            #expect(result.succeeded, "clients: \(result)")
            let sent = result.standardOutput.split(separator: "\n").map(String.init)
            #expect(sent.count == connections)
            #expect(Set(reports.map(\.sha256)) == Set(sent), "\(variant)")
            #expect(reports.allSatisfy { $0.bytes == UInt64(Self.megabytes10) })
            print("Linux → FlexTCP sink\(xdpMode.map { " over AF_XDP (\($0))" } ?? ""), \(variant), \(connections) × 10 MB: \(rate(connections, seconds))")
        }
    }

    private func sendToLinux(variant: LinuxPeerVariant, connections: Int, xdpMode: AFXDPConfiguration.AttachMode? = nil) throws {
        try TestNetwork.with { network in
            let peer = try LinuxPeer(network, variant: variant)
            let stack = try peer.makeStack(xdpMode: xdpMode)
            let server = try peer.kernel.start(linuxServer(connections: connections, port: 5002))
            try waitUntilListening(peer.kernel, port: 5002)
            stack.network.announce()
            let loop = stack
            let client = SendClient(context: try loop.makeContext(), to: LinuxPeer.kernelAddress, port: 5002,
                                    bytesPerConnection: UInt64(Self.megabytes10), connections: connections, seed: 42, verifiesEcho: false)
            let seconds = drive(loop, limit: Self.limit, step: { _ in client.step() }, until: { client.isFinished }) ?? Double(Self.limit)
            let result = server.wait(timeout: .seconds(30))
            #expect(result.succeeded, "server: \(result)")
            let received = result.standardOutput.split(separator: "\n").filter { $0 != "listening" }.map(String.init)
            let sent = client.outcomes.compactMap { outcome -> String? in
                guard case .success(let report)? = outcome else { return nil }
                return "\(report.bytes) \(report.sha256)"
            }
            #expect(sent.count == connections, "\(client.outcomes)")
            #expect(Set(received) == Set(sent), "\(variant)")
            print("FlexTCP send\(xdpMode.map { " over AF_XDP (\($0))" } ?? "") → Linux, \(variant), \(connections) × 10 MB: \(rate(connections, seconds))")
        }
    }

    /// Waits (at most 10 s) until something in `namespace` listens on TCP `port`.
    private func waitUntilListening(_ namespace: TestNamespace, port: UInt16) throws {
        for _ in 0..<100 {
            if try namespace.runChecked(["ss", "-Hltn", "sport = :\(port)"]).contains("\(port)") { return }
            _ = try namespace.run(["sleep", "0.1"])
        }
        Issue.record("nothing listens on port \(port)")
    }

    private func rate(_ connections: Int, _ seconds: Double) -> String {
        "\(Int(Double(connections * Self.megabytes10) / 1e6 / seconds)) MB/s over \(Int(seconds * 1000)) ms"
    }
}
#endif
