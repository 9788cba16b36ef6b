import FlexPort
import FlexWire

/// The slow path's TCP connection management (the FlexTCP "kernel", dissertation §4.3.2):
/// listen/accept, active open, option negotiation, SYN cookies, teardown with TIME_WAIT, resets and
/// RFC 5961 challenge ACKs. Established flows are installed in the fast path and run there.
///
/// Contract:
/// - Driven by its caller with explicit time (nanoseconds, never decreasing): feed it each receive
///   batch's exceptions after `FastPath.processReceived` (`handleExceptions`), and call `advance`
///   by `nextDeadline` (and after application sends/frees, so closing flows progress). No threads.
/// - Exception frames that are not TCP to this host (ARP, ICMP, ...) go to the `NetworkHost`.
/// - Memory is bounded by the configuration: hostile input (SYN floods, forged RSTs and ACKs,
///   garbage) is counted in `counters` and never traps or touches other flows.
/// - Frames are sent through the network host's port; the fast path's transmit batch is not used.
package final class SlowPath {
    /// The fast path, on this thread or behind messages (`FlowControl`).
    package let flows: any FlowControl
    package let network: NetworkHost
    package let configuration: SlowPathConfiguration
    package internal(set) var counters = SlowPathCounters()
    /// Our MSS: what an untagged frame of the port's maximum length holds after IPv4 and TCP headers,
    /// within IPv4's 65,535-byte packets (`maximumSegmentSize(frameLength:)`).
    package let localMaximumSegmentSize: UInt16

    var connections: [Connection?]
    /// Each installed connection's congestion-control loop, by flow (nil when congestion control is off).
    var congestionLoops: [CongestionLoopState?]
    /// The SACK scoreboard of each flow that has losses (`SlowPath+SelectiveRecovery.swift`).
    var scoreboards: [SACKScoreboard?]
    /// The fast path's part of SACK recovery when it runs on this thread (nil: go-back-N only).
    let selectiveRecovery: (any SelectiveRecoveryControl)?
    var flowIndices: IndexPool
    var ringAllocator: PayloadRingAllocator
    var flowsByKey: [FlowKey: FlowIndex] = [:]
    var synQueue: [FlowKey: HalfOpenConnection] = [:]
    /// Connections in TIME_WAIT that gave their flow back (`SlowPath+TimeWait.swift`).
    var timeWaitRecords: [FlowKey: TimeWaitRecord] = [:]
    var listeners: [UInt16: Listener] = [:]
    @usableFromInline var events: [ConnectionEvent] = []
    let sequenceNumbers: InitialSequenceNumberGenerator
    let cookies: SYNCookieCodec
    var nextEphemeralPort: UInt16
    /// When the current second of the challenge-ACK budget began (nil: none yet).
    var challengeWindowStart: UInt64?
    /// Challenge ACKs left in the second that began at `challengeWindowStart` (see `takeChallengeAcknowledgment`).
    var challengeBudget = 0
    /// Draws each second's challenge-ACK budget; seeded from the stack's secrets, so not predictable from outside.
    var challengeRandom: SeededRandom
    /// Where outgoing frames are built.
    let scratch: UnsafeMutableRawBufferPointer
    /// When each connection's timer wakes it (see `Connection.scheduledWake`; `SlowPath+Timers.swift`).
    var connectionTimers = DeadlineHeap<FlowIndex>()
    /// When each SYN-queue entry's SYN-ACK retransmission is due (live while it equals the entry's deadline).
    var handshakeTimers = DeadlineHeap<FlowKey>()
    /// When each TIME_WAIT record is next due (live while it equals the record's `scheduledWake`).
    var timeWaitTimers = DeadlineHeap<FlowKey>()
    /// When each flow's congestion-control step is due (see `CongestionLoopState.due`).
    var controlSchedule = DeadlineHeap<FlowIndex>()
    /// The flows the fast path reported changed, taken at the start of an `advance`.
    var changedFlows: [FlowIndex] = []
    /// When `advance` next examines changed flows (see `changeExaminationInterval`).
    var nextChangeExamination: UInt64 = 0
    /// The exception indices of the batch being handled (the fast path reuses its own storage).
    var exceptionIndices: [Int] = []

    /// A slow path that shares its thread with `fastPath`.
    package convenience init(fastPath: FastPath, network: NetworkHost, configuration: SlowPathConfiguration) {
        self.init(flows: fastPath, network: network, configuration: configuration)
    }

    package init(flows: any FlowControl, network: NetworkHost, configuration: SlowPathConfiguration) {
        precondition(flows.localAddress == network.address, "fast path and network host disagree on the address")
        self.flows = flows
        self.network = network
        self.configuration = configuration
        let frameLength = network.port.maximumFrameLength
        localMaximumSegmentSize = Self.maximumSegmentSize(frameLength: frameLength)
        connections = Array(repeating: nil, count: flows.flowCapacity)
        congestionLoops = Array(repeating: nil, count: flows.flowCapacity)
        scoreboards = Array(repeating: nil, count: flows.flowCapacity)
        selectiveRecovery = flows as? any SelectiveRecoveryControl
        flowIndices = IndexPool(capacity: flows.flowCapacity)
        ringAllocator = PayloadRingAllocator(regionSize: flows.payloadRegionSize, receiveRingSize: configuration.receiveRingSize,
                                             transmitRingSize: configuration.transmitRingSize, partition: configuration.ringPartition)
        sequenceNumbers = InitialSequenceNumberGenerator(key: configuration.sequenceNumberKey)
        cookies = SYNCookieCodec(key: configuration.cookieKey)
        challengeRandom = SeededRandom(seed: configuration.cookieKey.k1 ^ configuration.sequenceNumberKey.k0)
        nextEphemeralPort = configuration.ephemeralPorts.lowerBound
        scratch = .allocate(byteCount: frameLength, alignment: 16)
        exceptionIndices.reserveCapacity(FastPath.maximumReceiveBatch)
    }

    deinit {
        scratch.deallocate()
    }

    /// The MSS a port of `frameLength`-byte frames allows: the frame less the Ethernet, IPv4 and TCP
    /// headers, with the IPv4 packet no longer than its 16-bit total length allows (65,535 bytes,
    /// so 65,495 however long the port's frames).
    static func maximumSegmentSize(frameLength: Int) -> UInt16 {
        let packetLength = min(frameLength &- EthernetRepr.untaggedHeaderLength, Int(UInt16.max))
        return UInt16(clamping: packetLength &- IPv4Repr.headerLength &- TCPSegmentRepr.fixedHeaderLength)
    }

    // MARK: Observing

    /// The state of the connection on `flow`, or nil when the slow path has none there.
    package func state(of flow: FlowIndex) -> TCPConnectionState? {
        // Through the buffer, so that only the phase is read (not a copy of the whole connection).
        Int(flow) < connections.count ? connections.withUnsafeBufferPointer { $0[Int(flow)]?.phase } : nil
    }

    /// Half-open connections held in the SYN queue.
    package var halfOpenCount: Int { synQueue.count }

    /// Ring pairs still free in the payload region.
    package var availableRingPairs: Int { ringAllocator.availablePairs }

    /// Hands every event since the last call to `body`, oldest first, and forgets them. Inlined
    /// (across modules too), so that a caller that settles after every stage pays one comparison
    /// when there is nothing (most stages).
    @inlinable
    package func drainEvents(_ body: (ConnectionEvent) -> Void) {
        // Copying an array and then emptying it reallocates it: not on every poll when there is nothing.
        guard !events.isEmpty else { return }
        drainPresentEvents(body)
    }

    /// `drainEvents` when there are events.
    @usableFromInline
    func drainPresentEvents(_ body: (ConnectionEvent) -> Void) {
        let drained = events
        events.removeAll(keepingCapacity: true)
        for event in drained { body(event) }
    }

    /// The earliest time a retransmission, probe, SYN-ACK, TIME_WAIT, ARP timer or congestion-control
    /// step is due (`.max`: none): the minimum of the schedules, O(1). It may be early (a timer that
    /// was pushed back wakes `advance` at its old time, which schedules it anew), never late.
    package var nextDeadline: UInt64 {
        // Two-argument mins: the variadic `min` builds (and frees) an array on every call.
        let connectionTimes = min(connectionTimers.earliest ?? .max, timeWaitTimers.earliest ?? .max)
        let timers = min(min(connectionTimes, handshakeTimers.earliest ?? .max), controlSchedule.earliest ?? .max)
        let earliest = min(network.nextDeadline, timers)
        // With an examination interval, changes wait for the next examination while connections exist.
        let anyConnection = flowIndices.availableCount < connections.count
        return configuration.changeExaminationInterval > 0 && anyConnection ? min(earliest, nextChangeExamination) : earliest
    }

    /// Changed flows are examined at the times `nextDeadline` names (an examination interval),
    /// not at every `advance`.
    package var examinesChangesOnTimer: Bool { configuration.changeExaminationInterval > 0 }

    // MARK: Bookkeeping

    func key(localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16) -> FlowKey {
        FlowKey(localAddress: network.address, localPort: localPort, remoteAddress: remoteAddress, remotePort: remotePort)
    }

    /// Takes a flow index and records `connection` under it.
    func register(_ connection: Connection) -> FlowIndex? {
        guard let index = flowIndices.take() else { return nil }
        connections[index] = connection
        flowsByKey[connection.key] = FlowIndex(index)
        return FlowIndex(index)
    }

    /// Removes the flow from the fast path and forgets it (also from an accept backlog), freeing
    /// its index and rings.
    func release(_ flow: FlowIndex) {
        guard let connection = connections[Int(flow)] else { return }
        flows.remove(flow: flow)
        listeners[connection.key.localPort]?.ready.removeAll { $0 == flow }
        if let rings = connection.rings { ringAllocator.free(rings) }
        flowsByKey[connection.key] = nil
        connections[Int(flow)] = nil
        congestionLoops[Int(flow)] = nil
        scoreboards[Int(flow)] = nil
        flowIndices.give(Int(flow))
    }

    /// The retransmission deadline after `retries` retries (exponential back-off).
    func retransmissionDeadline(now: UInt64, retries: Int) -> UInt64 {
        now &+ configuration.initialRetransmissionTimeout << UInt64(min(retries, 20))
    }
}

/// A listening port: the accept backlog of completed connections.
struct Listener {
    let backlog: Int
    let opaque: UInt64
    let context: UInt16
    var ready: [FlowIndex] = []
}
