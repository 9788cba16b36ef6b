#if os(Linux)
import Testing
import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTCPTools
import FlexTCPFuzz
import FlexTestHosts
import FlexWire

/// The TCP under test in a differential run: the Linux kernel (a Python listener in its namespace)
/// or FlexTCP (a `Stack` on AF_PACKET in its namespace, served by a caller-driven runtime whose
/// application — one context — accepts and reads everything and never closes, like the Python listener).
enum DifferentialTarget: String, CustomStringConvertible {
    case linux, flextcp
    var description: String { rawValue }
}

/// Two namespaces joined by a veth: the peer's end has no kernel address (so the peer namespace's
/// kernel never answers TCP, and IPv6 is off) and is driven through AF_PACKET by the test; the
/// target's end carries 198.18.20.1 for the target TCP, listening on `listenPort`.
///
/// Contract: `send` puts a crafted frame on the wire; `collect` runs for `milliseconds` (stepping the
/// FlexTCP stack and its application if that is the target), answers ARP for the peer's address, and
/// returns the TCP segments the target sent to the peer's `port`. Close it (`close()`) before the
/// network goes away.
final class DifferentialRig {
    static let targetAddress = IPv4Address(198, 18, 20, 1)
    static let peerAddress = IPv4Address(198, 18, 20, 2)
    static let listenPort: UInt16 = 5000
    static let closedPort: UInt16 = 5001

    let target: DifferentialTarget
    let peerPort: AFPacketPort
    let targetMAC: MACAddress
    private let arp: ARPResponder
    private let runtime: RuntimeLoop?
    private let context: Context?
    private let listener: RunningCommand?
    private var connections: [Connection] = []
    private let clock = MonotonicTimeSource()
    private var pending: [ObservedSegment] = []

    init(_ network: TestNetwork, target: DifferentialTarget) throws {
        self.target = target
        let peerSide = try network.makeNamespace()
        let targetSide = try network.makeNamespace()
        let pair = try network.makeVethPair(between: peerSide, and: targetSide)
        peerPort = try peerSide.perform { try AFPacketPort(interfaceName: pair.first.name) }
        arp = ARPResponder(address: Self.peerAddress, macAddress: peerPort.macAddress)
        targetMAC = try kernelMAC(of: pair.second.name, in: targetSide)
        switch target {
        case .linux:
            try targetSide.assign(TestAddress("198.18.20.1/24"), to: pair.second.name)
            listener = try targetSide.start(Self.linuxListener)
            runtime = nil
            context = nil
            try Self.waitUntilListening(targetSide)
        case .flextcp:
            listener = nil
            let port = try targetSide.perform { try AFPacketPort(interfaceName: pair.second.name) }
            var configuration = StackConfiguration(interface: try InterfaceAddress(address: Self.targetAddress, prefixLength: 24))
            configuration.flowCapacity = 32
            let runtime = try RuntimeLoop(port: port, configuration: configuration)
            let context = try runtime.makeContext()
            let listening = context.listen(on: Self.listenPort)
            self.runtime = runtime
            self.context = context
            for _ in 0..<1_000 where listening.status == nil { stepTarget() }
            try #require(listening.status == .success)
        }
    }

    func close() {
        _ = listener?.stop()
    }

    func send(_ segment: CraftedSegment) {
        #expect(peerPort.transmit(segment.frame()))
    }

    /// Segments the target sent to the peer's `port` within `milliseconds` (others are kept for later calls).
    func collect(port: UInt16, milliseconds: UInt64 = 150, until isEnough: ([ObservedSegment]) -> Bool = { _ in false }) -> [ObservedSegment] {
        let deadline = clock.now() + milliseconds * 1_000_000
        var found = take(port: port)
        while clock.now() < deadline && !isEnough(found) {
            stepTarget()
            _ = peerPort.waitForFrames(timeoutNanoseconds: runtime == nil ? 5_000_000 : 200_000)
            for frame in peerPort.receiveCopies(maximum: 64) {
                if let reply = arp.reply(to: frame) { _ = peerPort.transmit(reply); continue }
                guard let segment = ObservedSegment(frame: frame), segment.source == Self.targetAddress else { continue }
                pending.append(segment)
            }
            found += take(port: port)
        }
        return found
    }

    private func take(port: UInt16) -> [ObservedSegment] {
        let mine = pending.filter { $0.header.destinationPort == port }
        pending.removeAll { $0.header.destinationPort == port }
        return mine
    }

    /// FlexTCP: one round of the runtime, then the application accepts new connections and frees
    /// everything received.
    private func stepTarget() {
        guard let runtime, let context else { return }
        _ = runtime.runtime.step(now: clock.now())
        context.poll { event in
            switch event {
            case .incomingConnection(let listener, _, _): _ = context.accept(on: listener)
            case .accepted(let connection): connections.append(connection)
            case .closed(let connection, _): connections.removeAll { $0 === connection }
            default: break
            }
        }
        for connection in connections { context.freeReceivedBytes(connection.unfreedByteCount, of: connection) }
        context.flush()
    }

    /// The Linux listener: accepts every connection, reads everything, never closes.
    private static let linuxListener = ["timeout", "120", "python3", "-c", """
        import socket, threading
        ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("198.18.20.1", 5000)); ls.listen(64)
        kept = []
        def serve(c):
            while c.recv(65536): pass
        while True:
            c, a = ls.accept(); kept.append(c); threading.Thread(target=serve, args=(c,), daemon=True).start()
        """]

    private static func waitUntilListening(_ namespace: TestNamespace) throws {
        for _ in 0..<100 {
            if try namespace.runChecked(["ss", "-Hltn", "sport = :\(listenPort)"]).contains("\(listenPort)") { return }
            _ = try namespace.run(["sleep", "0.05"])
        }
        Issue.record("nothing listens on port \(listenPort)")
    }
}
#endif
