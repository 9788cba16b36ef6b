/// The host side of a `NICPort` (dissertation §3.3): a `SharedMemoryRegion` holding the receive,
/// exception and transmit descriptor rings, the transmit doorbells, and the path from a doorbell to
/// the wire. The host copies frames into a transmit ring and rings its doorbell with the ring's new
/// producer index (the tail pointer); the doorbell enters the interconnect (refused when the doorbell
/// pipeline's queue is full: the host rings again later); the doorbell pipeline turns the K new
/// descriptors into K tokens in the ring's queue-manager bucket; the QM drains the buckets (unlimited
/// ones round robin, limited ones at their rate) into token packets that the DMA pipeline turns into
/// descriptor fetches, which go out through the transmit pipeline.
///
/// Contract: a doorbell whose tail is behind the last accepted one or more than a ring's capacity
/// ahead of its consumer index is invalid: counted and ignored, never acted on. The NIC fetches a
/// ring's descriptors up to the tail of its last accepted doorbell, never trusting the producer index
/// in shared memory (the host may store it after ringing). A descriptor leaves the ring (consumer
/// index advances) once its frame has a transmit slot, or when it is malformed or too long (counted);
/// without a slot the token stays in its bucket (QM back-pressure: delay). Not thread-safe: one
/// thread runs the model.
public final class HostInterface {
    public let region: SharedMemoryRegion
    /// Receive rings the receive program's queues deliver into (the NIC produces, the host consumes).
    public let receiveRings: [DescriptorRing]
    /// Where exceptions go; a descriptor carries the exception reason.
    public let exceptionRing: DescriptorRing
    /// Transmit rings (the host produces and rings `ringDoorbell`, the NIC consumes).
    public let transmitRings: [DescriptorRing]
    /// The interconnect between the pipelines and their queues: admits doorbells and token packets
    /// (or refuses them: back-pressure) and moves them from pipeline to pipeline.
    public let interconnect: Interconnect
    /// Holds one bucket per transmit ring (bucket `n` is ring `n`), one token per descriptor.
    public let queueManager: QueueManagerModel
    /// What the host interface did with doorbells and transmit descriptors so far.
    public private(set) var statistics = HostInterfaceStatistics()
    /// Doorbells admitted to the doorbell pipeline, oldest first (the interconnect holds their tickets).
    private var pendingDoorbells: [(ring: Int, tail: UInt32)] = []
    /// Per transmit ring: the tail of the last doorbell the doorbell pipeline accepted.
    private var announcedTails: [UInt32]

    /// Sizes of the rings and pipeline queues.
    public struct Configuration: Sendable {
        public var receiveRings: Int
        public var receiveCapacity: Int
        public var exceptionCapacity: Int
        public var transmitRings: Int
        public var transmitCapacity: Int
        public var slotSize: Int
        /// Doorbells the doorbell pipeline's queue holds before it refuses more.
        public var doorbellCapacity: Int
        /// Token packets the DMA pipeline's queue holds.
        public var dmaCapacity: Int
        /// Descriptors per second a transmit ring may send; nil: unlimited (round robin).
        public var transmitRate: UInt64?

        public init(receiveRings: Int, receiveCapacity: Int = 256, exceptionCapacity: Int = 256, transmitRings: Int = 0,
                    transmitCapacity: Int = 256, slotSize: Int = 2_048, doorbellCapacity: Int = 16, dmaCapacity: Int = 64,
                    transmitRate: UInt64? = nil) {
            self.receiveRings = receiveRings
            self.receiveCapacity = receiveCapacity
            self.exceptionCapacity = exceptionCapacity
            self.transmitRings = transmitRings
            self.transmitCapacity = transmitCapacity
            self.slotSize = slotSize
            self.doorbellCapacity = doorbellCapacity
            self.dmaCapacity = dmaCapacity
            self.transmitRate = transmitRate
        }
    }

    /// Lays out every ring in one region sized for them.
    public init(_ configuration: Configuration) {
        let slot = configuration.slotSize
        func size(_ capacity: Int) -> Int {
            DescriptorRing.byteCount(capacity: DescriptorRing.roundedCapacity(capacity), slotSize: slot) + SharedMemoryRegion.alignment
        }
        let total = configuration.receiveRings * size(configuration.receiveCapacity) + size(configuration.exceptionCapacity)
            + configuration.transmitRings * size(configuration.transmitCapacity)
        let region = SharedMemoryRegion(size: total)
        func ring(_ capacity: Int) -> DescriptorRing {
            guard let ring = DescriptorRing(in: region, capacity: capacity, slotSize: slot) else {
                preconditionFailure("the region was sized for every ring")
            }
            return ring
        }
        self.region = region
        receiveRings = (0..<configuration.receiveRings).map { _ in ring(configuration.receiveCapacity) }
        exceptionRing = ring(configuration.exceptionCapacity)
        transmitRings = (0..<configuration.transmitRings).map { _ in ring(configuration.transmitCapacity) }
        announcedTails = Array(repeating: 0, count: configuration.transmitRings)
        pendingDoorbells.reserveCapacity(configuration.doorbellCapacity)
        queueManager = QueueManagerModel()
        for _ in 0..<configuration.transmitRings { _ = queueManager.addBucket(tokensPerSecond: configuration.transmitRate, quantum: 1) }
        var capacity = Array(repeating: 1, count: PipelineKind.allCases.count)
        capacity[PipelineKind.doorbell.rawValue] = configuration.doorbellCapacity
        capacity[PipelineKind.dma.rawValue] = configuration.dmaCapacity
        capacity[PipelineKind.transmit.rawValue] = configuration.dmaCapacity
        var reservations = Array(repeating: UInt8(0), count: PacketSource.allCases.count)
        reservations[PacketSource.network.rawValue] = PipelineKind.receive.bit
        reservations[PacketSource.doorbell.rawValue] = PipelineKind.doorbell.bit
        reservations[PacketSource.queueManager.rawValue] = PipelineKind.dma.bit | PipelineKind.transmit.bit
        interconnect = Interconnect(capacity: capacity, initialReservations: reservations)
    }

    /// The host writes `tail` (ring `ring`'s new producer index) to the ring's doorbell; false when the
    /// doorbell pipeline's queue is full (refused and counted: ring again later) or there is no such ring.
    public func ringDoorbell(transmitRing ring: Int, tail: UInt32) -> Bool {
        guard ring >= 0 && ring < transmitRings.count else {
            statistics.doorbellsInvalid &+= 1
            return false
        }
        guard case .admitted = interconnect.admit(from: .doorbell, to: .doorbell) else {
            statistics.doorbellsRefused &+= 1
            return false
        }
        pendingDoorbells.append((ring, tail))
        return true
    }

    /// The doorbell pipeline: each admitted doorbell adds its new descriptors as tokens to its ring's bucket.
    func processDoorbells() {
        for (ring, tail) in pendingDoorbells {
            if let ticket = interconnect.next(at: .doorbell) { interconnect.finish(ticket) }
            let transmitRing = transmitRings[ring]
            let added = tail &- announcedTails[ring]
            guard added <= UInt32(transmitRing.capacity), tail &- transmitRing.consumerIndex <= UInt32(transmitRing.capacity) else {
                statistics.doorbellsInvalid &+= 1
                continue
            }
            announcedTails[ring] = tail
            statistics.doorbellsAccepted &+= 1
            queueManager.fill(ring, tokens: UInt64(added))
        }
        pendingDoorbells.removeAll(keepingCapacity: true)
    }

    /// At `nanoseconds`, processes the doorbells and lets the QM drain up to `maximumDescriptors`
    /// tokens: each admitted token packet fetches its ring's oldest descriptor and hands its frame to
    /// `send`; without a transmit slot the token waits, any other outcome consumes the descriptor
    /// (counted unless sent). Descriptors are fetched only up to the ring's announced tail. Returns
    /// the token packets the QM injected.
    func transmit(at nanoseconds: UInt64, maximumDescriptors: Int, send: (UnsafeRawBufferPointer) -> TransmitOutcome) -> Int {
        processDoorbells()
        return queueManager.drain(at: nanoseconds, maximumPackets: maximumDescriptors) { token in
            guard case .admitted(let ticket) = interconnect.admit(from: .queueManager, to: .dma) else { return false }
            _ = interconnect.next(at: .dma)
            let ring = transmitRings[token.bucket]
            let consumer = ring.consumerIndex
            guard consumer != announcedTails[token.bucket] else {
                // The consumer index in shared memory was moved (only the NIC may): nothing announced to fetch.
                interconnect.finish(ticket)
                statistics.descriptorsMissing &+= 1
                return true
            }
            let outcome = send(ring.entry(at: consumer).bytes)
            guard outcome != .noSlot else {
                interconnect.finish(ticket)
                statistics.transmitSlotDelays &+= 1
                return false
            }
            ring.advanceConsumer()
            guard outcome == .taken else {
                interconnect.finish(ticket)
                if outcome == .tooLong { statistics.oversizedDrops &+= 1 } else { statistics.malformedDrops &+= 1 }
                return true
            }
            let moved = interconnect.forward(ticket, to: .transmit, stillReachable: 0)
            _ = interconnect.next(at: .transmit)
            interconnect.finish(moved)
            statistics.descriptorsTransmitted &+= 1
            return true
        }
    }
}

/// What a `HostInterface` did with doorbells and transmit descriptors.
public struct HostInterfaceStatistics: Sendable, Equatable {
    /// Doorbells the doorbell pipeline accepted (their descriptors became tokens).
    public var doorbellsAccepted: UInt64 = 0
    /// Doorbells refused because the doorbell pipeline's queue was full (back-pressure to the host).
    public var doorbellsRefused: UInt64 = 0
    /// Doorbells for no ring, with a tail behind the last one or beyond the ring's capacity.
    public var doorbellsInvalid: UInt64 = 0
    /// Descriptors whose frames the wire took (or the transmit program withheld).
    public var descriptorsTransmitted: UInt64 = 0
    /// Tokens with no announced descriptor left to fetch (the consumer index was moved in shared memory).
    public var descriptorsMissing: UInt64 = 0
    /// Token packets delayed because the wire had no transmit slot.
    public var transmitSlotDelays: UInt64 = 0
    /// Descriptors longer than the wire's frames: consumed, not sent.
    public var oversizedDrops: UInt64 = 0
    /// Descriptors shorter than an Ethernet header (length 0 included): consumed, not sent.
    public var malformedDrops: UInt64 = 0
}

/// What the transmit pipeline did with a fetched descriptor's frame.
enum TransmitOutcome {
    /// In a transmit slot: the descriptor is consumed.
    case taken
    /// No transmit slot: the descriptor stays and its token waits in the QM.
    case noSlot
    /// Longer than the wire's frames: consumed and counted, not sent.
    case tooLong
    /// Shorter than an Ethernet header: consumed and counted, not sent.
    case malformed
}
