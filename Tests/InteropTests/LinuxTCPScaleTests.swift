#if os(Linux)
import Testing
import FlexPort
import FlexTCPCore
import FlexTCPTools
import FlexWire
import FlexTestHosts

/// Namespace A holds FlexTCP's AF_PACKET veth end (198.18.40.2 is the stack's, no kernel address);
/// namespace B holds the Linux kernel at 198.18.40.1/24 with every TCP and offload default untouched.
private struct ScalePeer {
    static let kernelAddress = IPv4Address(198, 18, 40, 1)
    static let stackAddress = IPv4Address(198, 18, 40, 2)
    /// Flow slots: every connection of a run plus room for stragglers (TIME_WAIT holds a record, not a slot).
    static let flowCapacity = 128
    /// Each connection's receive ring, the most it advertises. AF_PACKET gives Linux no back-pressure:
    /// whatever the windows let it send and the (debug-build) stack has not drained yet waits in the
    /// port's receive ring, mostly one MSS per frame. So the ring gets a slot per MSS of every window
    /// (with 256 KiB windows and 256 slots it overflowed by ~20,000 frames and starved some BBR senders).
    static let receiveRingSize: UInt32 = 32 * 1024
    static let receiveFrameCount = LinuxTCPScaleTests.connections * Int(receiveRingSize) / 1448 + 64
    let stackSide: TestNamespace
    let kernel: TestNamespace
    let pair: VethPair

    init(_ network: TestNetwork) throws {
        stackSide = try network.makeNamespace()
        kernel = try network.makeNamespace()
        pair = try network.makeVethPair(between: stackSide, and: kernel)
        try kernel.assign(TestAddress("198.18.40.1/24"), to: pair.second.name)
    }

    func makeStack(receiveRingSize: UInt32 = Self.receiveRingSize, receiveFrameCount: Int = Self.receiveFrameCount,
                   receiveWindowBudget: UInt64? = nil) throws -> RuntimeLoop {
        var portConfiguration = AFPacketConfiguration()
        portConfiguration.receiveFrameCount = receiveFrameCount
        let port = try stackSide.perform { try AFPacketPort(interfaceName: pair.first.name, configuration: portConfiguration) }
        var configuration = StackConfiguration(interface: try InterfaceAddress("198.18.40.2/24"))
        configuration.flowCapacity = Self.flowCapacity
        configuration.receiveRingSize = receiveRingSize
        configuration.transmitRingSize = 256 * 1024
        configuration.receiveWindowBudget = receiveWindowBudget
        return try RuntimeLoop(port: port, configuration: configuration)
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
        import socket, hashlib, os, threading, sys, time, subprocess
        lock = threading.Lock(); failures = []
        def run():
            s = None; left = \(bytes); start = time.monotonic()
            try:
                s = socket.create_connection(("\(ScalePeer.stackAddress)", \(port)), timeout=60)
                h = hashlib.sha256()
                while left:
                    b = os.urandom(min(left, 262144)); h.update(b); s.sendall(b); left -= len(b)
                s.shutdown(socket.SHUT_WR)
                while s.recv(65536): pass
                with lock: sys.stdout.write(f"{s.getsockname()[1]} {h.hexdigest()}\\n"); sys.stdout.flush()
            except OSError as e:
                port = s.getsockname()[1] if s else 0
                info = subprocess.run(["ss", "-tniH", f"sport = :{port}"], capture_output=True, text=True).stdout.split()
                with lock:
                    failures.append(port)
                    sys.stderr.write(f"port {port}: {e!r} after {time.monotonic() - start:.1f} s, {left} bytes unsent; {' '.join(info)}\\n")
        ts = [threading.Thread(target=run) for i in range(\(connections))]
        [t.start() for t in ts]; [t.join() for t in ts]
        sys.exit(1 if failures else 0)
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
        failures = []
        def serve(c, a):
            c.settimeout(60); h = hashlib.sha256(); n = 0
            try:
                while True:
                    b = c.recv(262144)
                    if not b: break
                    h.update(b); n += len(b)
                with lock: sys.stdout.write(f"{n} {h.hexdigest()}\\n"); sys.stdout.flush()
            except OSError as e:
                with lock: failures.append(a); sys.stderr.write(f"from {a}: {e!r} after {n} bytes\\n")
            c.close()
        ts = []
        for i in range(\(connections)):
            c, a = ls.accept(); t = threading.Thread(target=serve, args=(c, a)); t.start(); ts.append(t)
        [t.join() for t in ts]
        sys.exit(1 if failures else 0)
        """
    return ["timeout", String(timeLimit), "python3", "-c", script]
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
            let summary = try receive(Self.bytesPerConnection, from: peer, into: try peer.makeStack())
            print("Linux → FlexTCP sink, \(Self.connections) × 10 MB: \(summary)")
        }
    }

    /// 256 KiB windows for 100 connections want ~18,000 slots (1.2 GB of ring); 64 MiB buys ~1,000.
    /// With the plan's window budget the connections share what those slots hold; without it,
    /// their windows add up to over 20 times that, and Linux's bursts overflow the ring.
    @Test("100 Linux clients × 2 MB with 256 KiB windows and a 64 MiB receive ring, with and without the window budget",
          arguments: [true, false])
    func windowBudget(applied: Bool) throws {
        let window: UInt32 = 256 * 1024
        let plan = ReceiveRingPlan(flowCapacity: ScalePeer.flowCapacity, receiveWindow: window, segmentSize: 1448,
                                   slotBytes: AFPacketConfiguration().receiveFrameSize, memoryLimit: 64 << 20)
        try TestNetwork.with { network in
            let peer = try ScalePeer(network)
            let stack = try peer.makeStack(receiveRingSize: window, receiveFrameCount: plan.frameCount,
                                           receiveWindowBudget: applied ? plan.windowBudget : nil)
            #expect(plan.windowBudget != nil)
            let summary = try receive(2_000_000, from: peer, into: stack)
            print("Linux → FlexTCP sink, \(Self.connections) × 2 MB, 256 KiB windows, \(plan.frameCount) slots, "
                  + "budget \(applied ? "\(plan.windowBudget ?? 0) B" : "none"): \(summary)")
        }
    }

    /// Linux clients send `bytes` each to a sink on `stack`; expects every stream intact; returns the summary.
    private func receive(_ bytes: Int, from peer: ScalePeer, into stack: RuntimeLoop) throws -> String {
        let loop = stack
        let sink = SinkService(context: try loop.makeContext(), port: 5001)
        stack.network.announce()
        try openListener(of: sink, on: loop)
        let clients = try peer.kernel.start(linuxClients(connections: Self.connections, bytes: bytes,
                                                         port: 5001, timeLimit: Self.linuxLimit))
        var reports: [StreamReport] = []
        let seconds = drive(loop, limit: Self.transferLimit, step: { _ in
            let busy = sink.step()
            sink.drainReports { reports.append($0) }
            return busy
        }, until: { reports.count + sink.failedConnections == Self.connections })
        // Let the last FINs and ACKs out while the clients finish.
        _ = drive(loop, limit: 10, step: { _ in sink.step() },
                  until: { stack.slowPath.availableRingPairs == ScalePeer.flowCapacity })
        let result = clients.wait(timeout: .seconds(seconds == nil ? 1 : 30))
        let summary = try summary(stack, peer, seconds)
        #expect(seconds != nil, "not every stream ended within \(Self.transferLimit) s: \(reports.count) reported, \(summary)")
        #expect(sink.failedConnections == 0, "\(summary)")
        #expect(result.succeeded, "clients (status \(result.status), timed out \(result.timedOut)): \(result.standardError)")
        let sent = hashesByPort(result.standardOutput)
        let mismatched = reports.filter { sent[String($0.label.split(separator: ":").last ?? "")] != $0.sha256 }
        #expect(sent.count == Self.connections, "clients that completed")
        #expect(reports.count == Self.connections, "streams the sink reported")
        #expect(mismatched.isEmpty, "SHA-256 differs from the client's: \(mismatched.map { "\($0.label) (\($0.bytes) bytes)" })")
        return summary
    }

    @Test("FlexTCP sends 10 MB on each of 100 connections to a Linux server; SHA-256 matches per connection")
    func sendToLinuxServer() throws {
        try TestNetwork.with { network in
            let peer = try ScalePeer(network)
            let stack = try peer.makeStack()
            let server = try peer.kernel.start(linuxServer(connections: Self.connections, port: 5002, timeLimit: Self.linuxLimit))
            try peer.waitUntilListening(port: 5002)
            stack.network.announce()
            let loop = stack
            let client = SendClient(context: try loop.makeContext(), to: ScalePeer.kernelAddress, port: 5002,
                                    bytesPerConnection: UInt64(Self.bytesPerConnection), connections: Self.connections,
                                    seed: 42, verifiesEcho: false)
            let seconds = drive(loop, limit: Self.transferLimit, step: { _ in client.step() }, until: { client.isFinished })
            let result = server.wait(timeout: .seconds(seconds == nil ? 1 : 30))
            let summary = try summary(stack, peer, seconds)
            #expect(seconds != nil, "not every connection finished within \(Self.transferLimit) s: \(client.bytesSent) bytes sent, \(summary)")
            #expect(result.succeeded, "server (status \(result.status), timed out \(result.timedOut)): \(result.standardError)")
            let received = result.standardOutput.split(separator: "\n").map(String.init)
            let sent = client.outcomes.compactMap { outcome -> String? in
                guard case .success(let report)? = outcome else { return nil }
                return "\(report.bytes) \(report.sha256)"
            }
            #expect(sent.count == Self.connections, "\(client.outcomes.filter { if case .success? = $0 { false } else { true } })")
            #expect(Set(sent).count == sent.count, "two connections sent the same stream")
            #expect(received.count == Self.connections, "streams the server reported")
            let unmatched = Set(sent).subtracting(received)
            #expect(unmatched.isEmpty, "sent streams the server did not receive intact: \(unmatched.sorted())")
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
    private func summary(_ stack: RuntimeLoop, _ peer: ScalePeer, _ seconds: Double?) throws -> String {
        let throughput = seconds.map { "\(Int(Double(Self.connections * Self.bytesPerConnection) / 1e6 / $0)) MB/s over \(Int($0 * 1000)) ms" }
            ?? "timed out"
        let port = stack.port.statistics
        let counters = stack.slowPath.counters
        let averageFrame = port.receivedBytes / max(port.receivedFrames, 1)
        return "\(throughput); AF_PACKET frames received \(port.receivedFrames) (\(averageFrame) B average), "
            + "receive drops \(port.receiveDrops), transmit drops \(port.transmitDrops); "
            + "FlexTCP RTOs \(counters.retransmissionTimeouts), aborts \(counters.connectionsAborted), "
            + "segments beyond window or out-of-order interval \(stack.fastPath.frames(withVerdict: .outOfWindow)); "
            + "Linux \(try peer.kernelRetransmissions())"
    }
}
#endif
