import FlexPort
import FlexWire

/// The network layer of the slow path on one port: answers ARP and ICMP echo for its address,
/// keeps the neighbour table, resolves next hops for what it sends, pings, and reassembles IPv4
/// fragments addressed to it.
///
/// Contract:
/// - Driven by its caller, with time passed in: `poll(now:)` receives one batch from the port,
///   handles each frame, runs ARP retries and echo timeouts that are due, and commits what it sends.
///   Between calls nothing happens (no threads, no timers). `now` is nanoseconds of a monotonic
///   (or virtual) clock and never decreases; call again by `nextDeadline` to keep retries on time.
/// - Frames can also be handed in one at a time (`handleFrame`, e.g. exceptions from a fast path
///   that owns the port's receive side); what they trigger is committed by `flushTransmits()`.
/// - Answers ARP requests for its address and unicast echo requests addressed to it (identifier,
///   sequence number and data copied). Never answers broadcast or multicast, ICMP errors, or
///   anything it cannot route back to. Learns neighbours by RFC 826's merge rule.
/// - Every received frame is consumed (learned from, answered, or matched) or counted under one
///   `DropReason`; malformed and hostile frames never trap and never grow memory.
/// - Replies are written straight into the port's transmit slots; receiving and answering ARP
///   and echo requests allocates nothing. Fragments are copied while held, within the bounds of
///   `configuration.reassembly` (`reassemble`, `reassemblyStatistics`).
/// - One thread at a time.
package final class NetworkHost {
    package let port: any Port
    package let configuration: NetworkHostConfiguration
    package let routingTable: RoutingTable
    package let macAddress: MACAddress
    /// This host's IPv4 address.
    package var address: IPv4Address { configuration.interface.address }

    let resolver: ARPResolver
    var echoRequests: EchoRequestTracker
    let transmitter: FrameTransmitter
    let reassembler: FragmentReassembler
    /// Statistics other than drops (whose `drops` field is unused: see `dropCounts`).
    var counters = NetworkHostStatistics()
    /// One counter per `DropReason`, in memory that is never shared, so counting never copies.
    let dropCounts: UnsafeMutablePointer<UInt64>
    /// Room for building one frame before `send` copies it into a slot or a waiting queue.
    let scratch: UnsafeMutableRawBufferPointer
    /// The data bytes of echo requests: 0, 1, 2, ... (mod 256), as long as the largest frame.
    let echoPattern: UnsafeMutableRawBufferPointer
    var nextIdentification: UInt16 = 0
    private let receiveBatch: FrameBatch
    private var events: [NetworkEvent] = []
    private var drainedEvents: [NetworkEvent] = []

    package init(port: any Port, configuration: NetworkHostConfiguration) throws(NetworkConfigurationError) {
        try configuration.validate()
        self.port = port
        self.configuration = configuration
        routingTable = try RoutingTable(interface: configuration.interface, gateway: configuration.gateway)
        macAddress = port.macAddress
        resolver = ARPResolver(configuration: configuration.arp, frameCapacity: port.maximumFrameLength)
        echoRequests = EchoRequestTracker(capacity: configuration.echoRequestLimit)
        transmitter = FrameTransmitter(port: port, batchCapacity: 32)
        reassembler = FragmentReassembler(configuration: configuration.reassembly)
        receiveBatch = FrameBatch(capacity: configuration.receiveBatchSize)
        dropCounts = .allocate(capacity: DropReason.allCases.count)
        dropCounts.initialize(repeating: 0, count: DropReason.allCases.count)
        scratch = .allocate(byteCount: port.maximumFrameLength, alignment: 16)
        echoPattern = .allocate(byteCount: port.maximumFrameLength, alignment: 16)
        for index in echoPattern.indices { echoPattern[index] = UInt8(truncatingIfNeeded: index) }
        events.reserveCapacity(configuration.eventCapacity)
        drainedEvents.reserveCapacity(configuration.eventCapacity)
    }

    deinit {
        dropCounts.deallocate()
        scratch.deallocate()
        echoPattern.deallocate()
    }

    // MARK: Driving

    /// Receives one batch, handles every frame, runs due retries and timeouts, commits what was
    /// sent. Returns the number of frames received.
    @discardableResult
    package func poll(now: UInt64) -> Int {
        PollSequence.poll(self, port: port, batch: receiveBatch, now: now) {}.received
    }

    /// Sends the ARP retries and reports the failures, echo timeouts and reassembly timeouts due by
    /// `now` (commit with `flushTransmits`).
    package func advance(now: UInt64) {
        while let action = resolver.nextDueAction(now: now) {
            switch action {
            case let .sendRequest(target):
                sendARPRequest(for: target)
            case let .failed(target, requestsSent, droppedFrames):
                counters.neighbourResolutionsFailed &+= 1
                count(.neighbourUnreachable, UInt64(droppedFrames))
                record(.neighbourUnreachable(target, requestsSent: requestsSent, droppedFrames: droppedFrames))
            }
        }
        while let request = echoRequests.nextTimedOut(now: now) {
            counters.echoRequestsTimedOut &+= 1
            record(.echoRequestTimedOut(destination: request.destination, sequenceNumber: request.sequenceNumber))
        }
        reassembler.expire(now: now)
    }

    /// Commits every frame written since the last commit to the port.
    package func flushTransmits() {
        transmitter.flush()
    }

    /// The earliest time a retry or timeout (ARP, echo, reassembly) may be due (`UInt64.max` when none is pending).
    package var nextDeadline: UInt64 { min(min(resolver.nextDeadline, echoRequests.nextDeadline), reassembler.nextDeadline) }

    // MARK: Observing

    package var statistics: NetworkHostStatistics {
        var statistics = counters
        statistics.drops = DropCounts(counts: Array(UnsafeBufferPointer(start: dropCounts, count: DropReason.allCases.count)))
        statistics.reassembly = reassembler.statistics
        return statistics
    }

    /// The neighbour-table entry for `address`, or nil.
    package func neighbour(for address: IPv4Address, now: UInt64) -> Neighbour? {
        resolver.cache.neighbour(for: address, now: now)
    }

    /// Every neighbour-table entry (allocates; for tools and tests).
    package func neighbours(now: UInt64) -> [Neighbour] { resolver.cache.neighbours(now: now) }

    /// Echo requests still waiting for a reply or their deadline.
    package var outstandingEchoRequests: Int { echoRequests.count }

    /// Hands every event recorded since the last call to `body`, oldest first, and forgets them.
    package func drainEvents(_ body: (NetworkEvent) -> Void) {
        swap(&events, &drainedEvents)
        for event in drainedEvents { body(event) }
        drainedEvents.removeAll(keepingCapacity: true)
    }

    // MARK: Bookkeeping

    func count(_ reason: DropReason, _ frames: UInt64 = 1) {
        dropCounts[reason.rawValue] &+= frames
    }

    func record(_ event: NetworkEvent) {
        guard events.count < configuration.eventCapacity else {
            counters.eventsLost &+= 1
            return
        }
        events.append(event)
    }

    func takeIdentification() -> UInt16 {
        defer { nextIdentification &+= 1 }
        return nextIdentification
    }
}
