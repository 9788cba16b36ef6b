import FlexPort
import FlexTCPCore
import FlexWire

/// Why a fuzz harness could not set up its connection.
public enum FuzzHarnessError: Error, Sendable {
    case handshakeFailed(String)
}

/// A stack with one connection established to a legitimate peer on the in-memory wire, on virtual
/// time, plus everything the peer and the application know, for invariants to check.
///
/// Contract: the stack (A's end of the wire) listens on `stackPort`; the peer (B's end) is scripted
/// here: it completes the handshake with MSS, window scale, SACK-permitted and timestamps, answers
/// ARP, acknowledges the stack's bytes in order and checks them. The application reads only when
/// `read` is called and checks every byte against `FuzzStreams`. Deviations are recorded as facts
/// (`peerStreamMismatch`, `stackStreamMismatch`) for the invariants; nothing here traps on any input.
public final class FuzzHarness {
    public static let stackAddress = IPv4Address(198, 18, 0, 1)
    public static let peerAddress = IPv4Address(198, 18, 0, 2)
    public static let stackPort: UInt16 = 80
    public static let peerPort: UInt16 = 40_000
    /// The peer's initial sequence number: close to the wrap so every session crosses it.
    public static let peerInitialSequence: UInt32 = 0xFFFF_F000
    /// The peer's window field (scaled by `peerWindowShift`) and maximum segment size.
    public static let peerWindow: UInt16 = 65535
    public static let peerWindowShift: UInt8 = 2
    public static let peerSegmentSize = 1448
    public static let millisecond: UInt64 = 1_000_000

    package let stack: Stack
    let wire: MemoryWire
    let arp: ARPResponder
    public private(set) var now: UInt64 = 1_000_000_000
    package private(set) var flow: FlowIndex = 0
    /// The stack's ISS, learnt from its SYN-ACK.
    public private(set) var stackInitialSequence: UInt32 = 0

    // What the legitimate peer knows.
    /// Peer-stream bytes sent so far (the next new byte's position).
    public var peerSent = 0
    /// Whether the peer sent its FIN (at position `FuzzStreams.peerStreamLength`).
    public var peerFinSent = false
    /// The highest acknowledgment of the peer's stream the stack sent, as a position (FIN counts 1).
    public private(set) var stackAcknowledged = 0
    /// Stack-stream bytes the peer received in order and checked.
    public private(set) var peerReceived = 0
    /// The end of the furthest stack-stream byte the stack ever sent.
    public private(set) var stackSentEnd = 0
    /// The stack's latest TSval (the peer's TSecr).
    public private(set) var stackTimestamp: UInt32 = 0
    /// The first stack-stream position where the stack sent a byte that is not the application's.
    public private(set) var stackStreamMismatch: Int?

    // What the application knows.
    /// Peer-stream bytes the application read (each checked).
    public private(set) var applicationRead = 0
    /// Stack-stream bytes the application wrote.
    public private(set) var applicationWritten = 0
    /// The first position where the application read a byte the peer did not send there.
    public private(set) var peerStreamMismatch: Int?

    /// Sets up the stack and completes the handshake (throws if it does not complete).
    public init() throws {
        wire = try MemoryWire(capacity: 1024, maximumFrameLength: 1514)
        var configuration = StackConfiguration(interface: try InterfaceAddress(address: Self.stackAddress, prefixLength: 24))
        configuration.flowCapacity = 2
        configuration.receiveRingSize = 16 * 1024
        configuration.transmitRingSize = 16 * 1024
        configuration.slowPath.initialRetransmissionTimeout = 20 * Self.millisecond
        configuration.slowPath.minimumRetransmissionTimeout = 20 * Self.millisecond
        configuration.slowPath.timeWaitDuration = 200 * Self.millisecond
        configuration.slowPath.sequenceNumberKey = SipHashKey(k0: 1, k1: 2)
        configuration.slowPath.cookieKey = SipHashKey(k0: 3, k1: 4)
        stack = try Stack(port: wire.a, configuration: configuration)
        arp = ARPResponder(address: Self.peerAddress, macAddress: wire.b.macAddress)
        try stack.listen(port: Self.stackPort)
        try handshake()
    }

    /// The flow's fast-path state (nil once the connection is gone).
    package var flowState: FlowState? { stack.fastPath.state(of: flow) }

    /// A segment from the peer with every field valid for the connection as the peer knows it:
    /// ACK of everything received in order, current timestamps, the peer's bytes at `position`.
    public func peerSegment(at position: Int, length: Int, flags: TCPFlags = [.ack, .psh]) -> CraftedSegment {
        var segment = CraftedSegment(sourceMAC: wire.b.macAddress, destinationMAC: wire.a.macAddress, source: Self.peerAddress,
                                     destination: Self.stackAddress, sourcePort: Self.peerPort, destinationPort: Self.stackPort,
                                     sequence: peerSequence(at: position), acknowledgment: stackSequence(at: peerReceived),
                                     flags: flags, window: Self.peerWindow)
        segment.optionBytes = RawTCPOption.timestamps(value: peerClock, echo: stackTimestamp)
        segment.payload = FuzzStreams.peerBytes(position..<position + max(length, 0))
        return segment
    }

    /// The peer's sequence number for its stream position `position`.
    public func peerSequence(at position: Int) -> UInt32 { Self.peerInitialSequence &+ 1 &+ UInt32(truncatingIfNeeded: position) }
    /// The stack's sequence number for its stream position `position`.
    public func stackSequence(at position: Int) -> UInt32 { stackInitialSequence &+ 1 &+ UInt32(truncatingIfNeeded: position) }
    /// The position a peer sequence number stands for (negative: before the stream).
    public func peerPosition(of sequence: UInt32) -> Int { Int(Int32(bitPattern: sequence &- Self.peerInitialSequence &- 1)) }

    /// The peer's timestamp clock: one tick per virtual millisecond.
    public var peerClock: UInt32 { UInt32(truncatingIfNeeded: now / Self.millisecond) &+ 0x7000_0000 }

    /// The MAC addresses of the stack's and the peer's ends.
    public var stackMAC: MACAddress { wire.a.macAddress }
    public var peerMAC: MACAddress { wire.b.macAddress }

    /// Puts `frame` on the wire towards the stack (dropped silently if the wire is full).
    public func inject(_ frame: [UInt8]) { _ = wire.b.transmit(frame) }

    /// Lets virtual time pass.
    public func advance(by nanoseconds: UInt64) { now &+= nanoseconds }

    /// Polls the stack until it is idle (at most 16 polls), with the peer handling what it sends.
    public func settle() {
        for _ in 0..<16 {
            let busy = stack.poll(now: now)
            stack.drainEvents { _ in }
            drainPeer()
            if !busy { break }
        }
    }

    /// The application reads up to `count` bytes and checks them against the peer's stream.
    public func read(upTo count: Int) {
        guard count > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { stack.read(from: flow, into: $0, now: now) }
        for index in 0..<got where peerStreamMismatch == nil && buffer[index] != FuzzStreams.peerByte(at: applicationRead + index) {
            peerStreamMismatch = applicationRead + index
        }
        applicationRead += got
    }

    /// The first position among the received bytes not yet read (still in the receive ring) that
    /// differs from the peer's stream, or nil: catches a corruption at the frame that causes it.
    public func firstUnreadMismatch() -> Int? {
        guard let state = flowState, state.receiveSpace <= state.receiveRingSize, state.receiveHead < state.receiveRingSize else { return nil }
        let held = Int(state.unreadByteCount), size = Int(state.receiveRingSize), start = Int(state.unreadStart)
        let ring = stack.fastPath.payloadRegion + Int(state.receiveRingOffset)
        for index in 0..<held where ring.load(fromByteOffset: (start + index) % size, as: UInt8.self) != FuzzStreams.peerByte(at: applicationRead + index) {
            return applicationRead + index
        }
        return nil
    }

    /// The application writes up to `count` more bytes of its stream (as much as the ring takes).
    public func write(upTo count: Int) {
        let count = min(count, FuzzStreams.stackStreamLength - applicationWritten)
        guard count > 0 else { return }
        let bytes = (applicationWritten..<applicationWritten + count).map(FuzzStreams.stackByte(at:))
        applicationWritten += bytes.withUnsafeBytes { stack.write(to: flow, from: $0, now: now) }
    }

    /// Whether the application has seen the end of the peer's stream.
    public var applicationSawEnd: Bool { stack.phase(of: flow).peerFinished && stack.readableBytes(on: flow) == 0 }

    /// Takes every frame the stack sent: answers ARP, learns ACKs and timestamps, checks its bytes.
    private func drainPeer() {
        while true {
            let frames = wire.b.receiveCopies(maximum: 256)
            if frames.isEmpty { return }
            for frame in frames {
                if let reply = arp.reply(to: frame) { inject(reply); continue }
                guard let segment = ObservedSegment(frame: frame), segment.header.destinationPort == Self.peerPort else { continue }
                learn(from: segment)
            }
        }
    }

    private func learn(from segment: ObservedSegment) {
        if let timestamps = segment.header.options.timestamps { stackTimestamp = timestamps.value }
        if segment.flags.contains(.ack) { stackAcknowledged = max(stackAcknowledged, peerPosition(of: segment.acknowledgment)) }
        guard !segment.flags.contains(.syn), !segment.payload.isEmpty else { return }
        let start = Int(Int32(bitPattern: segment.sequence &- stackInitialSequence &- 1))
        stackSentEnd = max(stackSentEnd, start + segment.payload.count)
        for (offset, byte) in segment.payload.enumerated() where start + offset >= peerReceived {
            guard start + offset == peerReceived else { break }
            if stackStreamMismatch == nil && byte != FuzzStreams.stackByte(at: peerReceived) { stackStreamMismatch = peerReceived }
            peerReceived += 1
        }
    }

    private func handshake() throws {
        var syn = CraftedSegment(sourceMAC: wire.b.macAddress, destinationMAC: wire.a.macAddress, source: Self.peerAddress,
                                 destination: Self.stackAddress, sourcePort: Self.peerPort, destinationPort: Self.stackPort,
                                 sequence: Self.peerInitialSequence, flags: .syn, window: Self.peerWindow)
        syn.optionBytes = RawTCPOption.maximumSegmentSize(UInt16(Self.peerSegmentSize)) + RawTCPOption.windowScale(Self.peerWindowShift)
            + RawTCPOption.sackPermitted + RawTCPOption.timestamps(value: peerClock, echo: 0)
        inject(syn.frame())
        var synAcknowledgment: ObservedSegment?
        for _ in 0..<50 where synAcknowledgment == nil {
            stack.poll(now: now)
            for frame in wire.b.receiveCopies(maximum: 64) {
                if let reply = arp.reply(to: frame) { inject(reply) }
                if let segment = ObservedSegment(frame: frame), segment.flags == [.syn, .ack] { synAcknowledgment = segment }
            }
            advance(by: Self.millisecond)
        }
        guard let synAcknowledgment, synAcknowledgment.acknowledgment == Self.peerInitialSequence &+ 1 else {
            throw FuzzHarnessError.handshakeFailed("no SYN-ACK")
        }
        stackInitialSequence = synAcknowledgment.sequence
        stackTimestamp = synAcknowledgment.header.options.timestamps?.value ?? 0
        inject(peerSegment(at: 0, length: 0, flags: .ack).frame())
        settle()
        guard let accepted = stack.accept(port: Self.stackPort) else { throw FuzzHarnessError.handshakeFailed("final ACK not accepted") }
        flow = accepted
    }
}
