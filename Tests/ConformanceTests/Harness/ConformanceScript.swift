import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

/// One FlexTCP stack (fast path, slow path and network host on end A of a `TestWire`, on its
/// virtual time) and a scripted peer on end b: the peer sends hand-built segments and the script
/// checks, segment by segment, what the stack answers and what its application sees.
///
/// Contract: every `send` steps the stack once at the current virtual time, so the answers it
/// provokes are waiting for `expect`; `advance(by:)` moves virtual time and steps the stack on the
/// way. ARP requests from the stack are answered by the peer at once, so scripts deal with TCP only.
/// The application reads every delivered byte at once unless `applicationReads` is false.
final class ConformanceScript {
    static let ourAddress = TestWire.addressA
    static let peerAddress = TestWire.addressB
    static let millisecond = TestWire.millisecond
    static let second: UInt64 = 1_000_000_000
    /// Receive and transmit ring size by default: 16 KiB, so our window needs no scaling (shift 0).
    static let ringSize: UInt32 = 16 * 1024
    /// Our MSS on a 1514-byte wire.
    static let ourMaximumSegmentSize: UInt16 = 1460

    let link: TestWire
    var clock: VirtualTimeSource { link.clock }
    var wire: MemoryWire { link.wire }
    let network: NetworkHost
    let fastPath: FastPath
    let slowPath: SlowPath
    private let region: UnsafeMutableRawPointer
    private let batch = FrameBatch(capacity: 64)

    /// Our port and the peer's for the connection under test (the set-up helpers adjust them).
    var localPort: UInt16 = 80
    var remotePort: UInt16 = 40_000
    /// The connection under test, our ISS and the peer's ISS (IRS), once a set-up helper made it.
    var flow: FlowIndex?
    var iss = SequenceNumber(0)
    var irs = SequenceNumber(0)
    /// The bytes the application received on each flow, in order, and every connection event.
    private(set) var deliveredByFlow: [FlowIndex: [UInt8]] = [:]
    private(set) var events: [ConnectionEvent] = []
    /// The bytes the application received on the connection under test.
    var delivered: [UInt8] { flow.flatMap { deliveredByFlow[$0] } ?? [] }
    /// While false, the application leaves what it receives in the ring, so our window closes.
    var applicationReads = true
    private var unreadBytes: UInt32 = 0
    /// Once timestamps are negotiated the peer's segments carry TSval `peerTimestamp` and echo the
    /// last TSval we sent (unless a script passes options of its own).
    var timestampsNegotiated = false
    var peerTimestamp: UInt32 = 1000
    private(set) var lastTimestampSeen: UInt32 = 0
    private var unexpected: [SentSegment] = []

    /// A stack whose payload region holds `ringPairs` connections, with the test defaults (16 KiB
    /// rings, no pacing, 1 s TIME_WAIT, fixed secrets) changed by `adjust`.
    init(ringPairs: Int = 4, _ adjust: (inout SlowPathConfiguration) -> Void = { _ in }) throws {
        var configuration = SlowPathConfiguration()
        configuration.receiveRingSize = Self.ringSize
        configuration.transmitRingSize = Self.ringSize
        configuration.congestionControl = nil
        configuration.timeWaitDuration = Self.second
        configuration.sequenceNumberKey = SipHashKey(k0: 1, k1: 2)
        configuration.cookieKey = SipHashKey(k0: 3, k1: 4)
        adjust(&configuration)
        link = try TestWire(capacity: 1024)
        let wire = link.wire
        network = try NetworkHost(port: wire.a, configuration: NetworkHostConfiguration(
            interface: try InterfaceAddress(address: Self.ourAddress, prefixLength: 24)))
        let regionSize = ringPairs * Int(configuration.receiveRingSize + configuration.transmitRingSize)
        region = .allocate(byteCount: regionSize, alignment: 64)
        fastPath = FastPath(configuration: FastPathConfiguration(localAddress: Self.ourAddress, localMAC: wire.a.macAddress,
                                                                 flowCapacity: 16),
                            port: wire.a, payloadRegion: region, payloadRegionSize: regionSize)
        slowPath = SlowPath(fastPath: fastPath, network: network, configuration: configuration)
    }

    deinit { region.deallocate() }

    var now: UInt64 { clock.now() }
    var ourMAC: MACAddress { wire.a.macAddress }
    var peerMAC: MACAddress { wire.b.macAddress }
    /// The RFC 9293 state of the connection under test (nil once it is gone), by its 4-tuple: a
    /// TIME_WAIT whose close was reported holds no flow.
    var state: TCPConnectionState? {
        flow == nil ? nil : slowPath.state(of: slowPath.key(localPort: localPort, remoteAddress: Self.peerAddress, remotePort: remotePort))
    }

    // MARK: The peer

    /// The peer sends one segment (see `frame(...)`), and the stack takes it.
    func send(_ flags: TCPFlags, seq: SequenceNumber, ack: SequenceNumber = SequenceNumber(0), window: UInt16 = 65535,
              options: TCPOptions? = nil, payload: [UInt8] = [], urgentPointer: UInt16 = 0,
              rawOptions: [UInt8]? = nil, ipOptions: [UInt8] = [], ethernetDestination: MACAddress? = nil,
              ipSource: IPv4Address = peerAddress, ipDestination: IPv4Address = ourAddress,
              sourceLocation: SourceLocation = #_sourceLocation) throws {
        sendFrame(try frame(flags, seq: seq, ack: ack, window: window, options: options, payload: payload,
                            urgentPointer: urgentPointer, rawOptions: rawOptions, ipOptions: ipOptions,
                            ethernetDestination: ethernetDestination, ipSource: ipSource, ipDestination: ipDestination),
                  sourceLocation: sourceLocation)
    }

    /// The frame of one peer segment from `remotePort` to `localPort`. `options` nil means the
    /// peer's defaults (timestamps once negotiated); `rawOptions` replaces the options by these
    /// bytes, padded to a multiple of 4 with end-of-list, however malformed; `ipOptions` (a
    /// multiple of 4 bytes) go into the IPv4 header.
    func frame(_ flags: TCPFlags, seq: SequenceNumber, ack: SequenceNumber = SequenceNumber(0), window: UInt16 = 65535,
               options: TCPOptions? = nil, payload: [UInt8] = [], urgentPointer: UInt16 = 0,
               rawOptions: [UInt8]? = nil, ipOptions: [UInt8] = [], ethernetDestination: MACAddress? = nil,
               ipSource: IPv4Address = peerAddress, ipDestination: IPv4Address = ourAddress) throws -> [UInt8] {
        let segment = TCPSegmentRepr(sourcePort: remotePort, destinationPort: localPort, sequenceNumber: seq,
                                     acknowledgmentNumber: ack, flags: flags, window: window, urgentPointer: urgentPointer,
                                     options: rawOptions == nil ? options ?? peerOptions : TCPOptions())
        let headers = FrameHeaders(ethernet: EthernetRepr(destination: ethernetDestination ?? ourMAC, source: peerMAC, etherType: .ipv4),
                                   network: .ipv4(IPv4Repr(source: ipSource, destination: ipDestination, protocolNumber: .tcp,
                                                           payloadLength: 0), .tcp(segment)))
        guard let rawOptions else { return CraftedFrame.insertingIPOptions(ipOptions, into: try headers.frame(payload: payload)) }
        let padded = rawOptions + [UInt8](repeating: 0, count: (4 - rawOptions.count % 4) % 4)
        let frame = CraftedFrame.movingIntoTCPOptions(padded.count, of: try headers.frame(payload: padded + payload))
        return CraftedFrame.insertingIPOptions(ipOptions, into: frame)
    }

    /// The peer's options when a script gives none: timestamps once negotiated.
    var peerOptions: TCPOptions {
        timestampsNegotiated ? TCPOptions(timestamps: TCPTimestamps(value: peerTimestamp, echoReply: lastTimestampSeen)) : TCPOptions()
    }

    /// The peer puts a frame on the wire and the stack takes it.
    func sendFrame(_ frame: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(wire.b.transmit(frame), "the wire took the peer's frame", sourceLocation: sourceLocation)
        step()
    }

    // MARK: Expectations

    /// The next segment the stack sent must match `expected`; returns it.
    @discardableResult
    func expect(_ expected: ExpectedSegment, sourceLocation: SourceLocation = #_sourceLocation) throws -> SentSegment {
        let sent = try #require(unexpected.first, "expected \(expected), but the stack sent nothing", sourceLocation: sourceLocation)
        unexpected.removeFirst()
        expected.check(sent, sourceLocation: sourceLocation)
        return sent
    }

    /// The stack sent nothing (more) since the last expectation.
    func expectNothing(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(unexpected.isEmpty, "the stack sent \(unexpected.map(\.description))", sourceLocation: sourceLocation)
        unexpected.removeAll()
    }

    /// Every segment the stack sent since the last expectation (and forgets them).
    func takeSent() -> [SentSegment] {
        defer { unexpected.removeAll() }
        return unexpected
    }

    // MARK: Time and the application

    /// Moves virtual time on by `duration` in steps of at most `step`, stepping the stack after each.
    func advance(by duration: UInt64, step stepLength: UInt64 = 10 * millisecond) {
        var remaining = duration
        while remaining > 0 {
            let length = min(remaining, stepLength)
            clock.advance(by: length)
            remaining -= length
            step()
        }
    }

    /// The application queues `bytes` on the connection under test (all must fit the ring).
    func applicationSends(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let flow = try #require(flow, sourceLocation: sourceLocation)
        let state = try #require(fastPath.state(of: flow), sourceLocation: sourceLocation)
        try #require(UInt32(bytes.count) <= state.transmitSpace, sourceLocation: sourceLocation)
        let ring = PayloadRing(base: fastPath.payloadRegion + Int(state.transmitRingOffset), size: state.transmitRingSize)
        bytes.withUnsafeBytes { ring.write($0.baseAddress!, count: UInt32(bytes.count), at: state.transmitTail) }
        #expect(fastPath.applicationQueued(flow: flow, bytes: UInt32(bytes.count), now: now), sourceLocation: sourceLocation)
        step()
    }

    /// The application closes its direction of the connection under test.
    func applicationCloses(sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(slowPath.close(flow: try #require(flow, sourceLocation: sourceLocation), now: now), sourceLocation: sourceLocation)
        step()
    }

    /// The application frees what it left in the ring of `flow` while `applicationReads` was false.
    func applicationReadsHeldBytes() {
        guard let flow, unreadBytes > 0 else { return }
        _ = fastPath.applicationFreed(flow: flow, bytes: unreadBytes, now: now)
        unreadBytes = 0
        step()
    }

    /// The events of the connection under test, in order.
    var flowEvents: [ConnectionEvent] {
        events.filter { event in
            switch event {
            case let .established(flow, _, _, _, _), let .connectFailed(flow, _, _, _), let .peerClosed(flow, _, _),
                 let .closed(flow, _, _), let .aborted(flow, _, _, _):
                flow == self.flow
            }
        }
    }

    // MARK: Stepping

    /// One round of the stack at the current time; again while the peer answered an ARP request.
    func step() {
        while round() {}
    }

    /// Receive → fast path → slow path → application → timers → transmit; then the peer reads the
    /// wire. Returns true when the peer answered an ARP request (the stack has more to do).
    private func round() -> Bool {
        let now = now
        _ = wire.a.receive(into: batch)
        fastPath.processReceived(batch, now: now)
        slowPath.handleExceptions(in: batch, at: fastPath.exceptionIndices, now: now)
        wire.a.releaseReceived(batch)
        batch.removeAll()
        for event in fastPath.events.prefix(fastPath.eventCount) where event.receivedBytes > 0 {
            application(received: event, now: now)
        }
        fastPath.clearEvents()
        slowPath.advance(now: now)
        // The script's application answers within the round: what the fast path holds for an
        // answer to ride on goes out now (the rounds-later ACK has tests of its own).
        fastPath.sendHeldAcknowledgments(now: now)
        fastPath.transmit(now: now)
        slowPath.drainEvents { events.append($0) }
        return readWire()
    }

    private func application(received event: FlowEvent, now: UInt64) {
        guard let state = fastPath.state(of: event.flow) else { return }
        var chunk = [UInt8](repeating: 0, count: Int(event.receivedBytes))
        let ring = PayloadRing(base: fastPath.payloadRegion + Int(state.receiveRingOffset), size: state.receiveRingSize)
        chunk.withUnsafeMutableBytes { ring.read(into: $0.baseAddress!, count: event.receivedBytes, at: event.receivedPosition) }
        deliveredByFlow[event.flow, default: []] += chunk
        if applicationReads || event.flow != flow {
            _ = fastPath.applicationFreed(flow: event.flow, bytes: event.receivedBytes, now: now)
        } else {
            unreadBytes += event.receivedBytes
        }
    }

    /// Collects the TCP segments the stack sent and answers its ARP requests for the peer.
    private func readWire() -> Bool {
        var answeredARP = false
        for frame in wire.b.receiveCopies(maximum: 1024) {
            guard let parsed = frame.withUnsafeBytes({ try? ParsedFrame(parsing: $0) }) else { continue }
            switch parsed.headers.network {
            case let .ipv4(_, .tcp(segment)):
                if let timestamps = segment.options.timestamps { lastTimestampSeen = timestamps.value }
                unexpected.append(SentSegment(segment: segment, payload: Array(frame[parsed.payloadRange]),
                                              ethernetDestination: parsed.headers.ethernet.destination))
            case let .arp(request) where request.operation == .request && request.targetProtocolAddress == Self.peerAddress:
                let reply = ARPRepr(operation: .reply, senderHardwareAddress: peerMAC, senderProtocolAddress: Self.peerAddress,
                                    targetHardwareAddress: request.senderHardwareAddress,
                                    targetProtocolAddress: request.senderProtocolAddress)
                let headers = FrameHeaders(ethernet: EthernetRepr(destination: request.senderHardwareAddress, source: peerMAC,
                                                                  etherType: .arp), network: .arp(reply))
                answeredARP = (try? headers.frame()).map { wire.b.transmit($0) } ?? false
            default:
                continue
            }
        }
        return answeredARP
    }
}
