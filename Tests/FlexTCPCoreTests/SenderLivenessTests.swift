import FlexPort
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

    let clock = VirtualTimeSource(start: 1_000_000_000)
    var random: SeededRandom

    init(seed: UInt64, connections: Int = 4, bytesPerConnection: Int = 24 * 1024) {
        self.seed = seed
        self.connections = connections
        self.bytesPerConnection = bytesPerConnection
        random = SeededRandom(seed: seed)
        peerLoss = [0.05, 0.1, 0.2][Int(seed % 3)]
        clientLoss = [0.0, 0.02][Int(seed / 3 % 2)]
    }

    static func configuration(receiveRing: UInt32) -> SlowPathConfiguration {
        StackPair.configuration {
            $0.receiveRingSize = receiveRing
            $0.transmitRingSize = 16 * 1024
            $0.offersWindowScale = false
            $0.congestionControl = nil
            $0.minimumRetransmissionTimeout = 2 * StackPair.millisecond
        }
    }

    /// Runs the transfer for at most `virtualSeconds`; returns the first violation of the sender
    /// liveness invariant (checked on both stacks after every round) and, when the transfer did not
    /// finish, the state it stopped in. Nil: the invariant held and every connection echoed every
    /// byte, intact.
    mutating func run(virtualSeconds: UInt64 = 10) throws -> String? {
        let wire = try MemoryWire(capacity: 4096, maximumFrameLength: 1514)
        var clientLink = LinkEmulatorSettings()
        clientLink.propagationDelayNanoseconds = 100_000
        clientLink.dropProbability = clientLoss
        clientLink.seed = seed &* 2
        var peerLink = clientLink
        peerLink.dropProbability = peerLoss
        peerLink.seed = seed &* 2 &+ 1
        let client = try TestStack(port: LinkEmulator(wrapping: wire.a, settings: clientLink, timeSource: clock),
                                   address: StackPair.addressA, configuration: Self.configuration(receiveRing: 16 * 1024))
        let peer = try TestStack(port: LinkEmulator(wrapping: wire.b, settings: peerLink, timeSource: clock),
                                 address: StackPair.addressB, configuration: Self.configuration(receiveRing: 8 * 1024))
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
        let step: UInt64 = 100_000
        for round in 0..<Int(virtualSeconds * 1_000_000_000 / step) {
            clock.advance(by: step)
            let now = clock.now()
            for (index, flow) in clientFlows.enumerated() where client.slowPath.state(of: flow) == .established {
                sent[index] += client.sendMessages(payloads[index][sent[index]...], on: flow, upTo: Int.random(in: 1...8, using: &random), now: now)
            }
            client.step(now: now)
            while let flow = peer.slowPath.accept(port: Self.port) {
                peerFlows.append(flow)
                readers[flow] = SlowEchoReader()
            }
            peer.stepHoldingReceived(now: now)
            for flow in peerFlows { readers[flow]?.act(on: flow, of: peer, random: &random, now: now) }
            for (stack, flows, name) in [(client, clientFlows, "client"), (peer, peerFlows, "peer")] {
                for flow in flows {
                    if firstStall == nil, let stall = stack.slowPath.senderStall(of: flow, in: stack.fastPath, now: now) {
                        firstStall = "seed \(seed), round \(round): \(name) \(stall)"
                    }
                }
            }
            let echoed = clientFlows.enumerated().allSatisfy { client.received[$0.element, default: []].count >= bytesPerConnection }
            if echoed && peerFlows.count == connections {
                for (index, flow) in clientFlows.enumerated() where client.received[flow] != payloads[index] {
                    return "seed \(seed): connection \(index) echoed other bytes"
                }
                return firstStall
            }
        }
        let states = clientFlows.map { flow in
            let state = client.fastPath.state(of: flow)
            return "echoed \(client.received[flow, default: []].count), pending \(state?.transmitPending ?? 0), "
                + "sent \(state?.transmitSent ?? 0), peer window \(state?.peerWindow ?? 0), "
                + "queued \(client.fastPath.isQueuedForTransmission(flow))"
        }
        return "\(firstStall.map { "\($0); " } ?? "")seed \(seed): not done after \(virtualSeconds) s: \(states.joined(separator: "; "))"
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
        let held = state.receiveRingSize - state.receiveSpace
        guard held > 0, Bool.random(using: &random) else { return }
        let count = UInt32.random(in: 1...held, using: &random)
        var bytes = [UInt8](repeating: 0, count: Int(count))
        let ring = PayloadRing(base: stack.fastPath.payloadRegion + Int(state.receiveRingOffset), size: state.receiveRingSize)
        let start = PayloadRing.advance(state.receiveHead, by: state.receiveRingSize - held, size: state.receiveRingSize)
        bytes.withUnsafeMutableBytes { ring.read(into: $0.baseAddress!, count: count, at: start) }
        _ = stack.fastPath.applicationFreed(flow: flow, bytes: count, now: now)
        backlog = bytes
        let written = stack.sendMessages(backlog[...], on: flow, upTo: backlog.count, now: now)
        backlog.removeFirst(written)
    }
}

extension TestStack {
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
          arguments: 1...24 as ClosedRange<UInt64>)
    func slowEchoPeerWithLostAcknowledgments(seed: UInt64) throws {
        var scenario = SenderLivenessScenario(seed: seed)
        let failure = try scenario.run()
        #expect(failure == nil, "\(failure ?? "")")
    }
}
