/// The host side of a `NICPort` (dissertation §3.3): a `SharedMemoryRegion` holding the receive
/// queues (free-buffer and completion rings, and the receive buffer area their buffers lie in), the
/// exception and transmit descriptor rings, the transmit doorbells, and the path from a doorbell to
/// the wire. The host copies frames into a transmit ring and rings its doorbell with the ring's new
/// producer index (the tail pointer); the doorbell enters the interconnect (refused when the doorbell
/// pipeline's queue is full: the host rings again later); the doorbell pipeline's program turns the K
/// new descriptors into tokens in a queue-manager bucket (the standard program: K tokens in the
/// ring's bucket); the QM drains the buckets (unlimited ones round robin, limited ones at their rate)
/// into token packets; the DMA pipeline's program turns each into a descriptor fetch and DMA reads
/// that assemble the frame, which goes out through the transmit pipeline (see `HostInterfacePrograms`).
///
/// Contract: a doorbell whose tail is behind the last accepted one or more than a ring's capacity
/// ahead of its consumer index is invalid: counted and ignored, never acted on. The NIC fetches a
/// ring's descriptors up to the tail of its last accepted doorbell, never trusting the producer index
/// in shared memory (the host may store it after ringing). A descriptor leaves the ring (consumer
/// index advances) once its frame has a transmit slot, or when it is malformed or too long, or the
/// DMA program sends nothing for it (counted); without a slot the token stays in its bucket (QM
/// back-pressure: delay) and the descriptor's frame waits, assembled and through the transmit
/// program, in its ring's slot of the NIC's assembly memory: the DMA and transmit programs run once
/// per descriptor (their register updates happen once), however often it waits. Not
/// thread-safe: one thread runs the model.
public final class HostInterface {
    public let region: SharedMemoryRegion
    /// The receive queues the receive program's queues deliver into (see `ReceiveQueue`).
    public let receiveRings: [ReceiveQueue]
    /// The bytes of the region receive buffers must lie in.
    public let receiveBufferArea: Range<Int>
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
    /// The doorbell and DMA pipelines' programs.
    public let doorbellProgram: Pipeline
    public let dmaProgram: Pipeline
    /// The record a doorbell or DMA program parses, and per transmit ring the frame DMA reads
    /// assemble (one slot each) with its length once prepared for the wire (nil: none waiting).
    private let record: UnsafeMutableRawPointer
    private let assembly: UnsafeMutableRawPointer
    private let assemblyCapacity: Int
    private var preparedLengths: [Int?]

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
        /// Whether each receive queue starts with `receiveCapacity` buffers of `slotSize` bytes posted
        /// (its own part of the buffer area); false: the host posts every buffer itself.
        public var postsReceiveBuffers: Bool
        /// Descriptors per second a transmit ring may send; nil: unlimited (round robin).
        public var transmitRate: UInt64?

        public init(receiveRings: Int, receiveCapacity: Int = 256, exceptionCapacity: Int = 256, transmitRings: Int = 0,
                    transmitCapacity: Int = 256, slotSize: Int = 2_048, doorbellCapacity: Int = 16, dmaCapacity: Int = 64,
                    transmitRate: UInt64? = nil, postsReceiveBuffers: Bool = true) {
            self.receiveRings = receiveRings
            self.receiveCapacity = receiveCapacity
            self.exceptionCapacity = exceptionCapacity
            self.transmitRings = transmitRings
            self.transmitCapacity = transmitCapacity
            self.slotSize = slotSize
            self.doorbellCapacity = doorbellCapacity
            self.dmaCapacity = dmaCapacity
            self.transmitRate = transmitRate
            self.postsReceiveBuffers = postsReceiveBuffers
        }
    }

    /// Lays out the receive buffer area (`receiveCapacity` buffers of `slotSize` bytes per receive
    /// queue) and every ring in one region sized for them; posts the receive buffers if configured.
    /// `doorbellProgram` and `dmaProgram` run on those pipelines (nil: the standard programs of
    /// `HostInterfacePrograms`); they must be programs for those pipelines.
    public init(_ configuration: Configuration, doorbellProgram: Pipeline? = nil, dmaProgram: Pipeline? = nil) {
        precondition(doorbellProgram.map { $0.program.pipeline == .doorbell } ?? true, "a doorbell program runs on the doorbell pipeline")
        precondition(dmaProgram.map { $0.program.pipeline == .dma } ?? true, "a DMA program runs on the DMA pipeline")
        self.doorbellProgram = doorbellProgram ?? Self.standard(HostInterfacePrograms.doorbell())
        self.dmaProgram = dmaProgram ?? Self.standard(HostInterfacePrograms.dma())
        record = .allocate(byteCount: HostInterfacePrograms.recordLength, alignment: 8)
        record.initializeMemory(as: UInt8.self, repeating: 0, count: HostInterfacePrograms.recordLength)
        assemblyCapacity = configuration.slotSize
        let assemblyBytes = max(configuration.slotSize * configuration.transmitRings, 1)
        assembly = .allocate(byteCount: assemblyBytes, alignment: 64)
        assembly.initializeMemory(as: UInt8.self, repeating: 0, count: assemblyBytes)
        preparedLengths = Array(repeating: nil, count: configuration.transmitRings)
        let slot = configuration.slotSize
        let receiveCapacity = DescriptorRing.roundedCapacity(configuration.receiveCapacity)
        func size(_ capacity: Int, slotSize: Int) -> Int {
            DescriptorRing.byteCount(capacity: DescriptorRing.roundedCapacity(capacity), slotSize: slotSize) + SharedMemoryRegion.alignment
        }
        let bufferBytes = configuration.receiveRings * receiveCapacity * slot
        let total = bufferBytes + configuration.receiveRings * 2 * size(receiveCapacity, slotSize: 0)
            + size(configuration.exceptionCapacity, slotSize: slot) + configuration.transmitRings * size(configuration.transmitCapacity, slotSize: slot)
        let region = SharedMemoryRegion(size: total)
        guard let bufferStart = region.carve(byteCount: bufferBytes) else { preconditionFailure("the region was sized for the buffers") }
        let area = bufferStart..<(bufferStart + bufferBytes)
        func ring(_ capacity: Int) -> DescriptorRing {
            guard let ring = DescriptorRing(in: region, capacity: capacity, slotSize: slot) else {
                preconditionFailure("the region was sized for every ring")
            }
            return ring
        }
        self.region = region
        receiveBufferArea = area
        receiveRings = (0..<configuration.receiveRings).map { index in
            guard let queue = ReceiveQueue(in: region, capacity: receiveCapacity, bufferArea: area) else {
                preconditionFailure("the region was sized for every ring")
            }
            guard configuration.postsReceiveBuffers else { return queue }
            for buffer in 0..<receiveCapacity { queue.postBuffer(offset: area.lowerBound + (index * receiveCapacity + buffer) * slot, length: slot) }
            return queue
        }
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

    deinit {
        record.deallocate()
        assembly.deallocate()
    }

    private static func standard(_ program: Program) -> Pipeline {
        do throws(ValidationError) {
            return try Pipeline(program: program)
        } catch {
            preconditionFailure("the standard host-interface programs are valid: \(error)")
        }
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

    /// The doorbell pipeline: each admitted, valid doorbell runs the doorbell program, whose bucket
    /// and tokens go to the QM.
    func processDoorbells() {
        for (ring, tail) in pendingDoorbells {
            if let ticket = interconnect.next(at: .doorbell) { interconnect.finish(ticket) }
            let transmitRing = transmitRings[ring]
            let added = tail &- announcedTails[ring]
            guard added <= UInt32(transmitRing.capacity), tail &- transmitRing.consumerIndex <= UInt32(transmitRing.capacity) else {
                statistics.doorbellsInvalid &+= 1
                continue
            }
            HostInterfacePrograms.store((UInt32(ring), tail, added, UInt32(transmitRing.capacity)), into: record)
            let verdict = doorbellProgram.process(record, length: HostInterfacePrograms.recordLength)
            switch verdict.disposition {
            case .drop, .exception:
                statistics.doorbellsIgnored &+= 1
                continue
            case .pass, .queue:
                break
            }
            guard verdict.tokens == 0 || verdict.bucket < UInt64(transmitRings.count) else {
                statistics.doorbellsInvalid &+= 1
                continue
            }
            announcedTails[ring] = tail
            statistics.doorbellsAccepted &+= 1
            queueManager.fill(Int(verdict.bucket), tokens: verdict.tokens)
        }
        pendingDoorbells.removeAll(keepingCapacity: true)
    }

    /// At `nanoseconds`, processes the doorbells and lets the QM drain up to `maximumDescriptors`
    /// tokens: each admitted token packet fetches its ring's oldest descriptor, runs the DMA program,
    /// hands the frame its DMA reads assembled to `prepare` (the transmit program, in place) and a
    /// ready frame to `send` (false: no transmit slot). Without a slot the token waits and so does the
    /// prepared frame (the next token for the ring sends it without running either program again);
    /// any other outcome consumes the descriptor (counted unless sent). Descriptors are fetched only up
    /// to the ring's announced tail. Returns the token packets the QM injected.
    func transmit(at nanoseconds: UInt64, maximumDescriptors: Int, prepare: (UnsafeMutableRawBufferPointer) -> TransmitPreparation,
                  send: (UnsafeRawBufferPointer) -> Bool) -> Int {
        processDoorbells()
        return queueManager.drain(at: nanoseconds, maximumPackets: maximumDescriptors) { token in
            guard case .admitted(let ticket) = interconnect.admit(from: .queueManager, to: .dma) else { return false }
            _ = interconnect.next(at: .dma)
            let ring = transmitRings[token.bucket]
            if preparedLengths[token.bucket] == nil {
                let consumer = ring.consumerIndex
                guard consumer != announcedTails[token.bucket] else {
                    // The consumer index in shared memory was moved (only the NIC may): nothing announced to fetch.
                    interconnect.finish(ticket)
                    statistics.descriptorsMissing &+= 1
                    return true
                }
                let assembled = assemble(ring: token.bucket, descriptor: ring.entry(at: consumer))
                let preparation = assembled.map(prepare) ?? .withheld
                guard preparation == .ready, let assembled else {
                    ring.advanceConsumer()
                    interconnect.finish(ticket)
                    switch preparation {
                    case .tooLong: statistics.oversizedDrops &+= 1
                    case .withheld: statistics.dmaWithheld &+= 1
                    case .malformed: statistics.malformedDrops &+= 1
                    case .ready, .withheldByTransmitProgram: statistics.descriptorsTransmitted &+= 1
                    }
                    return true
                }
                preparedLengths[token.bucket] = assembled.count
            }
            let frame = UnsafeRawBufferPointer(start: assembly + token.bucket * assemblyCapacity, count: preparedLengths[token.bucket] ?? 0)
            guard send(frame) else {
                interconnect.finish(ticket)
                statistics.transmitSlotDelays &+= 1
                return false
            }
            preparedLengths[token.bucket] = nil
            ring.advanceConsumer()
            let moved = interconnect.forward(ticket, to: .transmit, stillReachable: 0)
            _ = interconnect.next(at: .transmit)
            interconnect.finish(moved)
            statistics.descriptorsTransmitted &+= 1
            return true
        }
    }

    /// The DMA pipeline for the descriptor at the ring's consumer index: runs the DMA program over its
    /// record and carries out the program's reads into the ring's assembly slot; returns the frame (empty
    /// when nothing was read), nil when the program dropped or diverted the descriptor or a read was refused.
    private func assemble(ring: Int, descriptor: (bytes: UnsafeRawBufferPointer, descriptor: UInt32)) -> UnsafeMutableRawBufferPointer? {
        let buffer = descriptor.bytes.baseAddress.map { UnsafeRawPointer(region.base).distance(to: $0) } ?? 0
        HostInterfacePrograms.store((UInt32(ring), UInt32(descriptor.bytes.count), descriptor.descriptor, UInt32(truncatingIfNeeded: buffer)),
                                    into: record)
        switch dmaProgram.process(record, length: HostInterfacePrograms.recordLength).disposition {
        case .drop, .exception: return nil
        case .pass, .queue: break
        }
        var length = 0
        for index in 0..<dmaProgram.dmaRequestCapacity {
            guard let request = dmaProgram.dmaRequest(index) else { continue }
            guard request.packetOffset >= 0, request.length >= 0, request.length <= assemblyCapacity - request.packetOffset,
                  request.hostAddress <= UInt64(region.size), UInt64(request.length) <= UInt64(region.size) - request.hostAddress else {
                statistics.dmaRejected &+= 1
                return nil
            }
            (assembly + ring * assemblyCapacity + request.packetOffset).copyMemory(from: region.base + Int(request.hostAddress), byteCount: request.length)
            length = max(length, request.packetOffset + request.length)
        }
        return UnsafeMutableRawBufferPointer(start: assembly + ring * assemblyCapacity, count: length)
    }
}

/// What a `HostInterface` did with doorbells and transmit descriptors.
public struct HostInterfaceStatistics: Sendable, Equatable {
    /// Doorbells the doorbell pipeline accepted (their descriptors became tokens).
    public var doorbellsAccepted: UInt64 = 0
    /// Doorbells refused because the doorbell pipeline's queue was full (back-pressure to the host).
    public var doorbellsRefused: UInt64 = 0
    /// Doorbells for no ring, with a tail behind the last one or beyond the ring's capacity, or whose
    /// program named a bucket that does not exist.
    public var doorbellsInvalid: UInt64 = 0
    /// Doorbells the doorbell program dropped or diverted (their descriptors count with the next doorbell).
    public var doorbellsIgnored: UInt64 = 0
    /// Descriptors the DMA program dropped or diverted: consumed, not sent.
    public var dmaWithheld: UInt64 = 0
    /// DMA reads outside the region or the frame: refused, and their descriptor consumed, not sent
    /// (counted here and in `dmaWithheld`).
    public var dmaRejected: UInt64 = 0
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

/// What became of a fetched descriptor's assembled frame before the wire (decided once per descriptor).
enum TransmitPreparation {
    /// Through the transmit program: it waits for a transmit slot.
    case ready
    /// The transmit program dropped or diverted it: consumed (counted as transmitted).
    case withheldByTransmitProgram
    /// Longer than the wire's frames: consumed and counted, not sent.
    case tooLong
    /// Shorter than an Ethernet header: consumed and counted, not sent.
    case malformed
    /// The DMA program dropped or diverted the descriptor: consumed and counted.
    case withheld
}
