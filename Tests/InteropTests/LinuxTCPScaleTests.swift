#if os(Linux)
import Testing
import FlexPort
import FlexTCPCore
import FlexWire
import FlexTestHosts

/// Namespace A holds FlexTCP's AF_PACKET veth end (198.18.40.2 is the stack's, no kernel address);
/// namespace B holds the Linux kernel at 198.18.40.1/24 with every TCP and offload default untouched.
private struct ScalePeer {
    static let kernelAddress = IPv4Address(198, 18, 40, 1)
    static let stackAddress = IPv4Address(198, 18, 40, 2)
    /// Flow slots: every connection of a run plus room for stragglers (TIME_WAIT holds ours after a send).
    static let flowCapacity = 128
    let stackSide: TestNamespace
    let kernel: TestNamespace
    let pair: VethPair

    init(_ network: TestNetwork) throws {
        stackSide = try network.makeNamespace()
        kernel = try network.makeNamespace()
        pair = try network.makeVethPair(between: stackSide, and: kernel)
        try kernel.assign(TestAddress("198.18.40.1/24"), to: pair.second.name)
    }

    func makeStack() throws -> Stack {
        var portConfiguration = AFPacketConfiguration()
        portConfiguration.receiveFrameCount = 256
        let port = try stackSide.perform { try AFPacketPort(interfaceName: pair.first.name, configuration: portConfiguration) }
        var configuration = StackConfiguration(interface: try InterfaceAddress("198.18.40.2/24"))
        configuration.flowCapacity = Self.flowCapacity
        configuration.receiveRingSize = 256 * 1024
        configuration.transmitRingSize = 256 * 1024
        return try Stack(port: port, configuration: configuration)
    }

    /// Linux's TCP retransmission counters in B (`nstat`, absolute values).
    func kernelRetransmissions() throws -> String {
        let text = try kernel.runChecked(["nstat", "-saz", "TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPLostRetransmit"])
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: " ").prefix(2).joined(separator: "=") }.joined(separator: " ")
    }

    /// Waits (at most 10 s) until something in B listens on TCP `port`.
    func waitUntilListening(port: UInt16) throws {
        for _ in 0..<100 {
            if try kernel.runChecked(["ss", "-Hltn", "sport = :\(port)"]).contains(":\(port)") { return }
            _ = try kernel.run(["sleep", "0.1"])
        }
        Issue.record("nothing listens on port \(port) in the Linux namespace")
    }
}

/// Python in B: `connections` threads each connect to FlexTCP's `port`, send `bytes` random bytes
/// (generated and hashed in chunks), shut down writing, read to FlexTCP's close, and print
/// `LOCALPORT SHA256`.
private func linuxClients(connections: Int, bytes: Int, port: UInt16, timeLimit: Int) -> [String] {
    let script = """
        import socket, hashlib, os, threading, sys
        lock = threading.Lock()
        def run():
            s = socket.create_connection(("\(ScalePeer.stackAddress)", \(port)), timeout=60)
            h = hashlib.sha256(); left = \(bytes)
            while left:
                b = os.urandom(min(left, 262144)); h.update(b); s.sendall(b); left -= len(b)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536): pass
            with lock: sys.stdout.write(f"{s.getsockname()[1]} {h.hexdigest()}\\n"); sys.stdout.flush()
        ts = [threading.Thread(target=run) for i in range(\(connections))]
        [t.start() for t in ts]; [t.join() for t in ts]
        """
    return ["timeout", String(timeLimit), "python3", "-c", script]
}

/// Python in B: a server taking `connections` connections on `port`, printing `BYTES SHA256` for each at EOF.
private func linuxServer(connections: Int, port: UInt16, timeLimit: Int) -> [String] {
    let script = """
        import socket, hashlib, threading, sys
        lock = threading.Lock()
        ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("\(ScalePeer.kernelAddress)", \(port))); ls.listen(\(connections)); ls.settimeout(60)
        def serve(c):
            c.settimeout(60); h = hashlib.sha256(); n = 0
            while True:
                b = c.recv(262144)
                if not b: break
                h.update(b); n += len(b)
            c.close()
            with lock: sys.stdout.write(f"{n} {h.hexdigest()}\\n"); sys.stdout.flush()
        ts = []
        for i in range(\(connections)):
            c, a = ls.accept(); t = threading.Thread(target=serve, args=(c,)); t.start(); ts.append(t)
        [t.join() for t in ts]
        """
    return ["timeout", String(timeLimit), "python3", "-c", script]
}

/// Runs the stack until `isDone` or `limit` seconds of the monotonic clock; returns elapsed seconds,
/// or nil when the time ran out.
private func drive(_ stack: Stack, limit seconds: UInt64, step: (UInt64) -> Void, until isDone: () -> Bool) -> Double? {
    let clock = MonotonicTimeSource()
    let start = clock.now()
    let limit = start + seconds * 1_000_000_000
    stack.run(clock: clock, step: step, until: { isDone() || clock.now() > limit })
    return isDone() ? Double(clock.now() - start) / 1e9 : nil
}

@Suite("FlexTCP against the Linux kernel's TCP at scale", .enabled(if: runsAsRoot), .serialized)
struct LinuxTCPScaleTests {
    static let connections = 100
    static let bytesPerConnection = 10_000_000
    /// Bound on one direction's transfer; the Linux side's own limit is a little longer.
    static let transferLimit: UInt64 = 360
    static let linuxLimit = 400

    @Test("100 Linux clients send 10 MB each to a FlexTCP sink; SHA-256 matches per connection")
    func linuxClientsToSink() throws {
        try TestNetwork.with { network in
            let peer = try ScalePeer(network)
            let stack = try peer.makeStack()
            let sink = try SinkService(stack: stack, port: 5001)
            stack.network.announce()
            let clients = try peer.kernel.start(linuxClients(connections: Self.connections, bytes: Self.bytesPerConnection,
                                                             port: 5001, timeLimit: Self.linuxLimit))
            var reports: [StreamReport] = []
            let seconds = drive(stack, limit: Self.transferLimit, step: { now in
                sink.step(now: now)
                sink.drainReports { reports.append($0) }
            }, until: { reports.count + sink.failedConnections == Self.connections })
            // Let the last FINs and ACKs out while the clients finish.
            _ = drive(stack, limit: 10, step: { sink.step(now: $0) },
                      until: { stack.slowPath.availableRingPairs == ScalePeer.flowCapacity })
            let result = clients.wait(timeout: .seconds(seconds == nil ? 1 : 30))
            let summary = try summary(stack, peer, seconds)
            #expect(seconds != nil, "not every stream ended within \(Self.transferLimit) s: \(reports.count) reported, \(summary)")
            #expect(sink.failedConnections == 0, "\(summary)")
            #expect(result.succeeded, "clients: \(result)")
            let sent = hashesByPort(result.standardOutput)
            let received = Dictionary(reports.map { (String($0.label.split(separator: ":").last ?? ""), $0.sha256) },
                                      uniquingKeysWith: { first, _ in first })
            #expect(sent.count == Self.connections)
            #expect(received == sent)
            #expect(reports.allSatisfy { $0.bytes == UInt64(Self.bytesPerConnection) })
            print("Linux → FlexTCP sink, \(Self.connections) × 10 MB: \(summary)")
        }
    }

    @Test("FlexTCP sends 10 MB on each of 100 connections to a Linux server; SHA-256 matches per connection")
    func sendToLinuxServer() throws {
        try TestNetwork.with { network in
            let peer = try ScalePeer(network)
            let stack = try peer.makeStack()
            let server = try peer.kernel.start(linuxServer(connections: Self.connections, port: 5002, timeLimit: Self.linuxLimit))
            try peer.waitUntilListening(port: 5002)
            stack.network.announce()
            let client = try SendClient(stack: stack, to: ScalePeer.kernelAddress, port: 5002,
                                        bytesPerConnection: UInt64(Self.bytesPerConnection), connections: Self.connections,
                                        seed: 42, verifiesEcho: false, now: MonotonicTimeSource().now())
            let seconds = drive(stack, limit: Self.transferLimit, step: { client.step(now: $0) }, until: { client.isFinished })
            let result = server.wait(timeout: .seconds(seconds == nil ? 1 : 30))
            let summary = try summary(stack, peer, seconds)
            #expect(seconds != nil, "not every connection finished within \(Self.transferLimit) s: \(client.bytesSent) bytes sent, \(summary)")
            #expect(result.succeeded, "server: \(result)")
            let received = result.standardOutput.split(separator: "\n").map(String.init)
            let sent = client.outcomes.compactMap { outcome -> String? in
                guard case .success(let report)? = outcome else { return nil }
                return "\(report.bytes) \(report.sha256)"
            }
            #expect(sent.count == Self.connections, "\(client.outcomes.filter { if case .success? = $0 { false } else { true } })")
            #expect(Set(sent).count == sent.count, "two connections sent the same stream")
            #expect(received.count == Self.connections)
            #expect(Set(received) == Set(sent))
            print("FlexTCP send → Linux, \(Self.connections) × 10 MB: \(summary)")
        }
    }

    /// `LOCALPORT SHA256` lines → SHA-256 by the client's port.
    private func hashesByPort(_ output: String) -> [String: String] {
        var hashes: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2 { hashes[String(fields[0])] = String(fields[1]) }
        }
        return hashes
    }

    /// Throughput and the loss-recovery counters of both sides.
    private func summary(_ stack: Stack, _ peer: ScalePeer, _ seconds: Double?) throws -> String {
        let throughput = seconds.map { "\(Int(Double(Self.connections * Self.bytesPerConnection) / 1e6 / $0)) MB/s over \(Int($0 * 1000)) ms" }
            ?? "timed out"
        let port = stack.port.statistics
        let counters = stack.slowPath.counters
        return "\(throughput); AF_PACKET receive drops \(port.receiveDrops), transmit drops \(port.transmitDrops); "
            + "FlexTCP RTOs \(counters.retransmissionTimeouts), aborts \(counters.connectionsAborted); "
            + "Linux \(try peer.kernelRetransmissions())"
    }
}
#endif
