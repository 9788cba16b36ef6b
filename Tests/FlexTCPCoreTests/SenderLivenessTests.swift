import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

/// Issue 8 item 9 on virtual time: a FlexTCP client sends 64-byte messages to a FlexTCP echo peer
/// that offers no window scaling, an 8 KiB receive ring, and reads irregularly (so its window
/// closes to zero often); the peer's ACKs, window updates and echoes are lost at random, some of
/// the client's segments too. Both directions send one segment per message.
struct SenderLivenessScenario {
    static let port: UInt16 = 7
    static let messageLength = 64

    let seed: UInt64
    let connections: Int
    let bytesPerConnection: Int
    /// Loss of the echo peer's frames (ACKs, window updates, echoed data) and of the client's.
    let peerLoss: Double
    let clientLoss: Double
    /// DCTCP paces both sides (flows on the queue manager's timing wheel) instead of none.
    let paced: Bool

    var random: SeededRandom

    init(seed: UInt64, connections: Int = 4, bytesPerConnection: Int = 32 * 1024) {
        self.seed = seed
        self.connections = connections
        self.bytesPerConnection = bytesPerConnection
        random = SeededRandom(seed: seed)
        peerLoss = [0.2, 0.3][Int(seed % 2)]
        clientLoss = [0.0, 0.02][Int(seed / 2 % 2)]
        paced = seed % 3 == 0
    }

    func configuration(receiveRing: UInt32) -> SlowPathConfiguration {
        StackPair.configuration {
            $0.receiveRingSize = receiveRing
            $0.offersWindowScale = false
            if !paced { $0.congestionControl = nil }
            $0.minimumRetransmissionTimeout = 2 * StackPair.millisecond
        }
    }

    /// Runs the transfer for at most `virtualSeconds`: each client connection closes once all its
    /// bytes came back, the peer closes when it has read and echoed everything after the client's
    /// FIN. Returns the first violation of the sender liveness invariant (checked on both stacks
    /// after every round) and, when the transfer did not finish, the state it stopped in. Nil: the
    /// invariant held and every connection echoed every byte, intact, and reached TIME_WAIT.
    mutating func run(virtualSeconds: UInt64 = 10) throws -> String? {
        var clientLink = LinkEmulatorSettings()
        clientLink.propagationDelayNanoseconds = 100_000
        clientLink.dropProbability = clientLoss
        clientLink.seed = seed &* 2
        var peerLink = clientLink
        peerLink.dropProbability = peerLoss
        peerLink.seed = seed &* 2 &+ 1
        let link = try TestWire(impairment: clientLink, impairmentOfB: peerLink)
        let clock = link.clock
        let client = try TestStack(port: link.portA, address: TestWire.addressA, configuration: configuration(receiveRing: 16 * 1024))
        let peer = try TestStack(port: link.portB, address: TestWire.addressB, configuration: configuration(receiveRing: 8 * 1024))
        try peer.slowPath.listen(port: Self.port, backlog: connections)
        let payloads = (0..<connections).map { StackPair.pattern(count: bytesPerConnection, seed: seed &* 100 &+ UInt64($0)) }
        var clientFlows: [FlowIndex] = []
        for index in 0..<connections {
            clientFlows.append(try client.slowPath.connect(to: StackPair.addressB, port: Self.port, opaque: UInt64(index), now: clock.now()))
        }
        var sent = [Int](repeating: 0, count: connections)
        var peerFlows: [FlowIndex] = []
        var readers: [FlowIndex: SlowEchoReader] = [:]
        var firstStall: String?
        var seenEvents = 0
        var finished = [Bool](repeating: false, count: connections)
        let step: UInt64 = 100_000
        for round in 0..<Int(virtualSeconds * 1_000_000_000 / step) {
            clock.advance(by: step)
            let now = clock.now()
            for (index, flow) in clientFlows.enumerated() where client.slowPath.state(of: flow) == .established {
                sent[index] += client.sendMessages(payloads[index][sent[index]...], on: flow, upTo: Int.random(in: 1...8, using: &random), now: now)
            }
            client.step(now: now)
            // A connect that timed out (its ARP or SYN exchange lost too often) is tried again.
            for event in client.events[seenEvents...] {
                if case let .connectFailed(_, opaque, _, _) = event {
                    clientFlows[Int(opaque)] = try client.slowPath.connect(to: StackPair.addressB, port: Self.port, opaque: opaque, now: now)
                }
            }
            seenEvents = client.events.count
            while let flow = peer.slowPath.accept(port: Self.port) {
                if !peerFlows.contains(flow) { peerFlows.append(flow) }
                readers[flow] = SlowEchoReader()
            }
            peer.stepHoldingReceived(now: now)
            for flow in peerFlows { readers[flow]?.act(on: flow, of: peer, random: &random, now: now) }
            closeFinished(client: client, flows: clientFlows, peer: peer, readers: readers, now: now)
            for (stack, flows, name) in [(client, clientFlows, "client"), (peer, peerFlows, "peer")] {
                for flow in flows {
                    if firstStall == nil, let stall = stack.slowPath.senderStall(of: flow, in: stack.fastPath, now: now) {
                        firstStall = "seed \(seed), round \(round): \(name) \(stall)"
                    }
                }
            }
            for (index, flow) in clientFlows.enumerated() where client.state(of: flow) == .timeWait { finished[index] = true }
            if !finished.contains(false) {
                for (index, flow) in clientFlows.enumerated() where client.received[flow] != payloads[index] {
                    return "seed \(seed): connection \(index) echoed other bytes"
                }
                return firstStall
            }
        }
        let states = clientFlows.map { flow in
            let state = client.fastPath.state(of: flow)
            return "echoed \(client.received[flow, default: []].count), \(client.slowPath.state(of: flow).map { "\($0)" } ?? "closed"), "
                + "pending \(state?.transmitPending ?? 0), sent \(state?.transmitSent ?? 0), peer window \(state?.peerWindow ?? 0), "
                + "queued \(client.fastPath.isQueuedForTransmission(flow))"
        }
        return "\(firstStall.map { "\($0); " } ?? "")seed \(seed): not done after \(virtualSeconds) s: \(states.joined(separator: "; "))"
    }

    /// The client closes a connection whose bytes all came back; the peer closes one whose client
    /// has closed once it has read and echoed everything.
    func closeFinished(client: TestStack, flows: [FlowIndex], peer: TestStack, readers: [FlowIndex: SlowEchoReader], now: UInt64) {
        for flow in flows where client.slowPath.state(of: flow) == .established
            && client.received[flow, default: []].count >= bytesPerConnection {
            client.slowPath.close(flow: flow, now: now)
        }
        for (flow, reader) in readers where peer.slowPath.state(of: flow) == .closeWait && reader.backlog.isEmpty {
            if let state = peer.fastPath.state(of: flow), state.unreadByteCount == 0 {
                peer.slowPath.close(flow: flow, now: now)
            }
        }
    }
}

/// The echo peer's application on one flow: it reads in bursts of random size at random moments,
/// sometimes pausing long enough for its window to close, and echoes what it read as 64-byte
/// messages, one segment each; while its transmit ring is full it reads nothing.
struct SlowEchoReader {
    var pausedUntil: UInt64 = 0
    var backlog: [UInt8] = []

    mutating func act(on flow: FlowIndex, of stack: TestStack, random: inout SeededRandom, now: UInt64) {
        if !backlog.isEmpty {
            let written = stack.sendMessages(backlog[...], on: flow, upTo: backlog.count, now: now)
            backlog.removeFirst(written)
        }
        guard now >= pausedUntil, backlog.isEmpty, let state = stack.fastPath.state(of: flow) else { return }
        if Int.random(in: 0..<20, using: &random) == 0 {
            pausedUntil = now + UInt64.random(in: 1...30, using: &random) * StackPair.millisecond
            return
        }
        let held = state.unreadByteCount
        guard held > 0, Bool.random(using: &random) else { return }
        backlog = stack.readHeld(on: flow, upTo: UInt32.random(in: 1...held, using: &random), now: now)
        let written = stack.sendMessages(backlog[...], on: flow, upTo: backlog.count, now: now)
        backlog.removeFirst(written)
    }
}

extension TestStack {
    /// The application reads (and frees) up to `limit` of the bytes its receive ring holds on the
    /// flow, oldest first.
    func readHeld(on flow: FlowIndex, upTo limit: UInt32, now: UInt64) -> [UInt8] {
        guard let state = fastPath.state(of: flow) else { return [] }
        let count = min(state.unreadByteCount, limit)
        var bytes = [UInt8](repeating: 0, count: Int(count))
        let ring = PayloadRing(base: fastPath.payloadRegion + Int(state.receiveRingOffset), size: state.receiveRingSize)
        bytes.withUnsafeMutableBytes { ring.read(into: $0.baseAddress!, count: count, at: state.unreadStart) }
        _ = fastPath.applicationFreed(flow: flow, bytes: count, now: now)
        return bytes
    }

    /// Sends up to `messages` 64-byte messages of `bytes` (the last may be shorter), each as its own
    /// segment when the window allows; returns the bytes queued.
    func sendMessages(_ bytes: ArraySlice<UInt8>, on flow: FlowIndex, upTo messages: Int, now: UInt64) -> Int {
        var offset = bytes.startIndex
        for _ in 0..<messages where offset < bytes.endIndex {
            let end = min(offset + SenderLivenessScenario.messageLength, bytes.endIndex)
            let queued = send(bytes[offset..<end], on: flow, now: now)
            offset += queued
            fastPath.transmit(now: now)
            if offset < end { break }
        }
        return offset - bytes.startIndex
    }
}

@Suite("Sender liveness")
struct SenderLivenessTests {
    @Test("Against a slow echo peer with an 8 KiB unscaled window and lost ACKs, every connection completes and no sender is ever stuck",
          arguments: 1...32 as ClosedRange<UInt64>)
    func slowEchoPeerWithLostAcknowledgments(seed: UInt64) throws {
        var scenario = SenderLivenessScenario(seed: seed)
        let failure = try scenario.run()
        #expect(failure == nil, "\(failure ?? "")")
    }

    static func unscaled(receiveRing: UInt32 = 64 * 1024) -> SlowPathConfiguration {
        StackPair.configuration {
            $0.receiveRingSize = receiveRing
            $0.offersWindowScale = false
            $0.congestionControl = nil
        }
    }

    @Test("A go-back-N resend paced to one segment, then the peer's ACK for the whole window it already had: the rest of the queue still goes")
    func acknowledgmentOfRewoundBytesKeepsTheQueueServed() throws {
        let pair = try StackPair(a: Self.unscaled(), b: Self.unscaled(receiveRing: 8 * 1024))
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: 16 * 1024, seed: 31)
        // The peer's ACKs and window updates are lost: the window fills and the sender is blocked.
        pair.a.discardsReceived = true
        #expect(pair.a.send(data[...], on: flowA, now: pair.now) == data.count)
        pair.run(maximumRounds: 5)
        let blocked = try #require(pair.a.fastPath.state(of: flowA))
        #expect(blocked.transmitSent == 8 * 1024 && blocked.transmitPending == 8 * 1024)
        #expect(pair.b.received[flowB]?.count == 8 * 1024)
        // The retransmission timeout rewinds; the first resent segment reaches the peer, whose ACK
        // (for all 8 KiB, window open) arrives before the rest of the resend goes out.
        pair.a.fastPath.retransmit(flow: flowA, now: pair.now)
        pair.a.fastPath.transmit(now: pair.now, maximumSegments: 1)
        pair.a.discardsReceived = false
        pair.clock.advance(by: 100_000)
        pair.b.step(now: pair.now)
        pair.a.step(now: pair.now)
        let stall = pair.a.slowPath.senderStall(of: flowA, in: pair.a.fastPath, now: pair.now)
        #expect(stall == nil, "\(stall ?? "")")
        #expect(pair.run(maximumRounds: 20_000) { pair.b.received[flowB, default: []].count >= data.count })
        let intact = pair.b.received[flowB] == data
        #expect(intact)
    }

    @Test("A window that opens by less than one MSS lets that much data go at once, and a lost update is found by the window probe",
          arguments: 1...4 as ClosedRange<UInt64>)
    func windowOpeningBelowOneSegment(seed: UInt64) throws {
        let pair = try StackPair(a: Self.unscaled(), b: Self.unscaled(receiveRing: 4 * 1024))
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: 12 * 1024, seed: seed)
        var random = SeededRandom(seed: seed)
        var offset = 0
        var received: [UInt8] = []
        var stall: String?
        for _ in 0..<100_000 where received.count < data.count && stall == nil {
            if offset < data.count { offset += pair.a.send(data[offset...], on: flowA, now: pair.now) }
            pair.clock.advance(by: 100_000)
            // A third of the peer's segments (ACKs, window updates, probe answers) are lost.
            pair.a.discardsReceived = Int.random(in: 0..<3, using: &random) == 0
            pair.a.step(now: pair.now)
            pair.b.stepHoldingReceived(now: pair.now)
            // The peer's application takes 100 bytes every 20 ms: its window opens by less than one MSS,
            // and so slowly that after a lost update the window probe comes before the window has grown
            // to a segment (which the receiver would announce by itself).
            if pair.now / 100_000 % 200 == 0 { received += pair.b.readHeld(on: flowB, upTo: 100, now: pair.now) }
            stall = pair.a.slowPath.senderStall(of: flowA, in: pair.a.fastPath, now: pair.now)
        }
        #expect(stall == nil, "\(stall ?? "")")
        let intact = received == data
        #expect(intact)
        #expect(pair.a.slowPath.counters.windowProbesSent > 0)
    }
}
