import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

/// One TCP stack for tests: fast path + slow path + network host on one port, with a tiny
/// application that reads every received byte out of the rings.
final class TestStack {
    let port: any Port
    let network: NetworkHost
    let fastPath: FastPath
    let slowPath: SlowPath
    let region: UnsafeMutableRawPointer
    let batch = FrameBatch(capacity: 64)
    var received: [FlowIndex: [UInt8]] = [:]
    var events: [ConnectionEvent] = []
    /// The 4-tuple of the connection last established on each flow (see `state(of:)`).
    private var keys: [FlowIndex: FlowKey] = [:]
    /// While true, every received frame is discarded unread (a black hole).
    var discardsReceived = false
    /// While true, received bytes stay unread in the rings (a slow application); `readUnread` reads them.
    var leavesBytesUnread = false

    init(port: any Port, address: IPv4Address, configuration: SlowPathConfiguration, ringPairs: Int = 8, flowCapacity: Int = 64) throws {
        self.port = port
        network = try NetworkHost(port: port, configuration: NetworkHostConfiguration(
            interface: try InterfaceAddress(address: address, prefixLength: 24)))
        let regionSize = ringPairs * Int(configuration.receiveRingSize + configuration.transmitRingSize)
        region = .allocate(byteCount: regionSize, alignment: 64)
        fastPath = FastPath(configuration: FastPathConfiguration(localAddress: address, localMAC: port.macAddress, flowCapacity: flowCapacity),
                            port: port, payloadRegion: region, payloadRegionSize: regionSize)
        slowPath = SlowPath(fastPath: fastPath, network: network, configuration: configuration)
    }

    deinit { region.deallocate() }

    func step(now: UInt64) {
        port.poll()
        _ = port.receive(into: batch)
        if !discardsReceived {
            fastPath.processReceived(batch, now: now)
            slowPath.handleExceptions(in: batch, at: fastPath.exceptionIndices, now: now)
        }
        port.releaseReceived(batch)
        batch.removeAll()
        for event in fastPath.events.prefix(fastPath.eventCount) where event.receivedBytes > 0 && !leavesBytesUnread {
            guard let state = fastPath.state(of: event.flow) else { continue }
            var chunk = [UInt8](repeating: 0, count: Int(event.receivedBytes))
            let ring = PayloadRing(base: fastPath.payloadRegion + Int(state.receiveRingOffset), size: state.receiveRingSize)
            chunk.withUnsafeMutableBytes { ring.read(into: $0.baseAddress!, count: event.receivedBytes, at: event.receivedPosition) }
            received[event.flow, default: []] += chunk
            _ = fastPath.applicationFreed(flow: event.flow, bytes: event.receivedBytes, now: now)
        }
        fastPath.clearEvents()
        slowPath.advance(now: now)
        // The test application answers within the step: held ACKs go out now (see DelayedAcknowledgmentTests).
        fastPath.sendHeldAcknowledgments(now: now)
        fastPath.transmit(now: now)
        slowPath.drainEvents { event in
            if case let .established(flow, _, _, _, _) = event { keys[flow] = slowPath.connections[Int(flow)]?.key }
            events.append(event)
        }
    }

    /// The RFC 9293 state of the connection on `flow`, or of the last one established there once it
    /// gave the flow back: TIME_WAIT while a record holds its 4-tuple (`SlowPath+TimeWait.swift`).
    func state(of flow: FlowIndex) -> TCPConnectionState? {
        slowPath.state(of: flow) ?? keys[flow].flatMap { slowPath.state(of: $0) }
    }

    /// Reads and frees every byte of `flow` the application has not read yet (into `received`).
    func readUnread(on flow: FlowIndex, now: UInt64) {
        guard let state = fastPath.state(of: flow), state.unreadByteCount > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: Int(state.unreadByteCount))
        let ring = PayloadRing(base: fastPath.payloadRegion + Int(state.receiveRingOffset), size: state.receiveRingSize)
        chunk.withUnsafeMutableBytes { ring.read(into: $0.baseAddress!, count: state.unreadByteCount, at: state.unreadStart) }
        received[flow, default: []] += chunk
        _ = fastPath.applicationFreed(flow: flow, bytes: state.unreadByteCount, now: now)
    }

    /// Appends as much of `bytes` as fits to the flow's transmit ring; returns how many.
    func send(_ bytes: ArraySlice<UInt8>, on flow: FlowIndex, now: UInt64) -> Int {
        guard let state = fastPath.state(of: flow) else { return 0 }
        let count = min(UInt32(bytes.count), state.transmitSpace)
        guard count > 0 else { return 0 }
        let ring = PayloadRing(base: fastPath.payloadRegion + Int(state.transmitRingOffset), size: state.transmitRingSize)
        bytes.prefix(Int(count)).withUnsafeBytes { ring.write($0.baseAddress!, count: count, at: state.transmitTail) }
        return fastPath.applicationQueued(flow: flow, bytes: count, now: now) ? Int(count) : 0
    }

    /// The first installed flow that breaks the sender liveness invariant, described; nil: none.
    func senderStall(now: UInt64) -> String? {
        (0..<fastPath.configuration.flowCapacity).lazy
            .compactMap { self.slowPath.senderStall(of: FlowIndex($0), in: self.fastPath, now: now) }.first
    }

    func established() -> [FlowIndex] {
        events.compactMap { if case let .established(flow, _, _, _, _) = $0 { flow } else { nil } }
    }
}

extension TestStack: PairEnd {
    func runRound(now: UInt64) -> Bool {
        step(now: now)
        return true
    }
}

/// Two test stacks on one in-memory wire (optionally impaired), on virtual time: a `WirePair` of
/// `TestStack`s that checks the sender liveness invariant after every round.
typealias StackPair = WirePair<TestStack>

extension WirePair where End == TestStack {
    static var addressA: IPv4Address { TestWire.addressA }
    static var addressB: IPv4Address { TestWire.addressB }
    static var millisecond: UInt64 { TestWire.millisecond }

    /// Test defaults: 10 ms initial retransmission timeout, 50 ms TIME_WAIT.
    static func configuration(_ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) -> SlowPathConfiguration {
        var configuration = SlowPathConfiguration()
        configuration.initialRetransmissionTimeout = 10 * millisecond
        configuration.timeWaitDuration = 50 * millisecond
        configuration.sequenceNumberKey = SipHashKey(k0: 1, k1: 2)
        configuration.cookieKey = SipHashKey(k0: 3, k1: 4)
        adjust(&configuration)
        return configuration
    }

    /// With `superSegmentsUpTo`, the wire carries frames that long and A's port is a
    /// `SuperSegmentPort`: A sends 1514-byte frames but receives longer ones, as over AF_PACKET.
    convenience init(a configurationA: SlowPathConfiguration = StackPair.configuration(),
                     b configurationB: SlowPathConfiguration = StackPair.configuration(), impairment: LinkEmulatorSettings? = nil,
                     superSegmentsUpTo superSegmentLength: Int? = nil) throws {
        let link = try TestWire(capacity: superSegmentLength == nil ? 4096 : 256, impairment: impairment, superSegmentsUpTo: superSegmentLength)
        try self.init(link: link) { port, side in
            try TestStack(port: port, address: side.address, configuration: side == .a ? configurationA : configurationB)
        }
    }

    /// Steps both stacks, advancing virtual time by `step` per round, until `done` or `maximumRounds`;
    /// records an issue when a round leaves a sender stuck (`SlowPath.senderStall`).
    @discardableResult
    func run(step: UInt64 = 100_000, maximumRounds: Int = 100_000, until done: () -> Bool = { false }) -> Bool {
        run(step: step, maximumRounds: maximumRounds, after: { now in
            guard let stall = a.senderStall(now: now) ?? b.senderStall(now: now) else { return true }
            Issue.record("sender stuck: \(stall)")
            return false
        }, until: done)
    }

    /// Lets each side learn the other's MAC address (so black-hole tests lose TCP, not ARP).
    func resolveNeighbours() throws {
        _ = try a.network.resolveNeighbour(for: Self.addressB, now: now)
        _ = try b.network.resolveNeighbour(for: Self.addressA, now: now)
        run(maximumRounds: 10)
    }

    /// B listens on port 80 and A connects to it while `stack` discards what it receives; ARP is
    /// resolved first. Returns A's flow.
    func connectWhileDiscarding(at stack: TestStack) throws -> FlowIndex {
        try resolveNeighbours()
        try b.slowPath.listen(port: 80, backlog: 4)
        stack.discardsReceived = true
        return try a.slowPath.connect(to: Self.addressB, port: 80, now: now)
    }

    /// B listens on `port`, A connects; returns (A's flow, B's accepted flow) once both are established.
    func connect(port: UInt16 = 80) throws -> (FlowIndex, FlowIndex) {
        try b.slowPath.listen(port: port, backlog: 4, opaque: 7)
        let flowA = try a.slowPath.connect(to: Self.addressB, port: port, opaque: 42, now: now)
        var accepted: FlowIndex?
        run {
            if accepted == nil { accepted = b.slowPath.accept(port: port) }
            return accepted != nil && a.slowPath.state(of: flowA) == .established
        }
        return (flowA, try #require(accepted))
    }

    /// A listens on `port` (backlog 2), B connects; returns A's flow once both are established, left
    /// in the backlog (not accepted).
    func connectUnaccepted(port: UInt16) throws -> FlowIndex {
        try a.slowPath.listen(port: port, backlog: 2)
        let flowB = try b.slowPath.connect(to: Self.addressA, port: port, now: now)
        #expect(run { b.slowPath.state(of: flowB) == .established && !a.established().isEmpty })
        return try #require(a.established().first)
    }

    /// Sends `data` from `sender`'s flow and runs until the other side has all of it on `receiverFlow`.
    func transfer(_ data: [UInt8], from sender: TestStack, flow: FlowIndex, to receiver: TestStack, receiverFlow: FlowIndex) -> Bool {
        var offset = 0
        return run {
            if offset < data.count { offset += sender.send(data[offset...], on: flow, now: now) }
            return receiver.received[receiverFlow, default: []].count >= data.count
        }
    }

    static func pattern(count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }
}

@Suite("Slow path test stacks")
struct SlowPathStackTests {
    @Test("A connection set up by the slow paths carries data both ways through the fast paths")
    func dataThroughFastPaths() throws {
        let pair = try StackPair()
        let (flowA, flowB) = try pair.connect()
        let toB = StackPair.pattern(count: 300_000, seed: 1)
        let toA = StackPair.pattern(count: 100_000, seed: 2)
        #expect(pair.transfer(toB, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB))
        #expect(pair.transfer(toA, from: pair.b, flow: flowB, to: pair.a, receiverFlow: flowA))
        #expect(pair.b.received[flowB] == toB)
        #expect(pair.a.received[flowA] == toA)
    }

    @Test("A connection's highest SACKed sequence number starts at SND.UNA, whatever its initial sequence number, so a loss-free flow never looks like one in SACK recovery")
    func selectiveAcknowledgmentStartsAtUnacknowledged() throws {
        for _ in 0..<8 {
            let pair = try StackPair()
            let (flowA, flowB) = try pair.connect()
            for (end, flow) in [(pair.a, flowA), (pair.b, flowB)] {
                let state = try #require(end.fastPath.state(of: flow))
                #expect(state.highestSelectivelyAcknowledged == state.sendUnacknowledged)
            }
        }
    }
}
