import FlexPort
import FlexWire

/// Port middleware that puts FlexNIC pipelines in front of any `Port`: a receive program runs on
/// every frame the wrapped port receives, a transmit program on every frame committed through it.
///
/// Contract:
/// - Receive: a passed frame is handed to the caller as usual; a frame for software queue `n` is
///   written into the next buffer the host posted on `queues[n]` and completed there (no posted
///   buffer, a full completion ring, a buffer too small or a ring index the host broke: dropped and
///   counted by reason — the network's back-pressure, never a write outside a posted buffer); an
///   exception goes to `exceptionQueue`; a drop is counted by reason; a reply is transmitted on the
///   wrapped port before `receive` returns; DMA requests copy between the packet and `hostMemory`
///   (out-of-range requests are refused and counted); tokens a program assigns go into
///   `queueManager`'s bucket. `statistics` counts everything.
/// - Transmit: frames the transmit program drops or diverts leave with length 0 (not sent). Frames
///   committed through the port take the transmit program directly; frames the host puts into
///   `hostInterface`'s transmit rings go out when `serviceTransmitRings` runs: doorbell pipeline,
///   queue manager, descriptor fetch, transmit program, wrapped port.
/// - Queues are the receive queues and descriptor rings of `hostInterface` in its shared-memory region.
/// - The wrapped port receives into a batch of the caller's capacity; a passed frame that finds the
///   caller's batch already full (it was not empty) is counted in `hostBatchFullDrops`. Program state is changed through `receiveProgram`
///   and `transmitProgram` from the thread that uses the port, between calls.
/// - No allocation per frame.
public final class NICPort: Port {
    public let inner: any Port
    public let receiveProgram: Pipeline?
    public let transmitProgram: Pipeline?
    /// The shared-memory region with the descriptor rings, the doorbells and the transmit QM.
    public let hostInterface: HostInterface
    /// The receive queues (`hostInterface.receiveRings`).
    public let queues: [ReceiveQueue]
    public let exceptionQueue: DescriptorRing
    public private(set) var nicStatistics: NICPortStatistics
    /// Host memory the DMA requests address (offset 0 = address 0); empty for none.
    public var hostMemory: UnsafeMutableRawBufferPointer
    /// The queue manager a receive program's `setBucket` fills (`meta.bucket`, `meta.tokens`), if any.
    public var queueManager: QueueManagerModel?
    private var inbound: FrameBatch
    private let replies: FrameBatch
    private let ringTransmit = FrameBatch(capacity: 1)

    /// Wraps `inner` with `queueCount` receive queues of `queueCapacity` entries each (with as many
    /// buffers posted unless `postsReceiveBuffers` is false: then the host posts them) and
    /// `transmitQueueCount` transmit rings (capacities round up to powers of two); `doorbellCapacity`
    /// doorbells wait for the doorbell pipeline before more are refused; `transmitRate` limits each
    /// transmit ring to that many descriptors per second (nil: unlimited, round robin);
    /// `doorbellProgram` and `dmaProgram` run on those pipelines (nil: the standard ones, see `HostInterfacePrograms`).
    public init(wrapping inner: any Port, receiveProgram: Pipeline?, transmitProgram: Pipeline? = nil,
                queueCount: Int, queueCapacity: Int = 256, exceptionCapacity: Int = 256, maximumReplies: Int = 64,
                hostMemory: UnsafeMutableRawBufferPointer = UnsafeMutableRawBufferPointer(start: nil, count: 0),
                transmitQueueCount: Int = 0, transmitQueueCapacity: Int = 256, doorbellCapacity: Int = 16, transmitRate: UInt64? = nil,
                postsReceiveBuffers: Bool = true, doorbellProgram: Pipeline? = nil, dmaProgram: Pipeline? = nil) {
        self.inner = inner
        self.receiveProgram = receiveProgram
        self.transmitProgram = transmitProgram
        hostInterface = HostInterface(HostInterface.Configuration(
            receiveRings: queueCount, receiveCapacity: queueCapacity, exceptionCapacity: exceptionCapacity,
            transmitRings: transmitQueueCount, transmitCapacity: transmitQueueCapacity, slotSize: max(inner.maximumFrameLength, 64),
            doorbellCapacity: doorbellCapacity, transmitRate: transmitRate, postsReceiveBuffers: postsReceiveBuffers),
            doorbellProgram: doorbellProgram, dmaProgram: dmaProgram)
        queues = hostInterface.receiveRings
        exceptionQueue = hostInterface.exceptionRing
        nicStatistics = NICPortStatistics(queueCount: queueCount)
        self.hostMemory = hostMemory
        inbound = FrameBatch(capacity: maximumReplies)
        replies = FrameBatch(capacity: maximumReplies)
    }

    public var macAddress: MACAddress { inner.macAddress }
    public var maximumFrameLength: Int { inner.maximumFrameLength }
    public var statistics: PortStatistics { inner.statistics }

    public func receive(into batch: FrameBatch) -> Int {
        precondition(inbound.isEmpty, "releaseReceived must follow each receive")
        guard let program = receiveProgram else { return inner.receive(into: batch) }
        for (index, queue) in queues.enumerated() { program.setQueueRoom(index, queue.freeCount) }
        if inbound.capacity != batch.capacity { inbound = FrameBatch(capacity: batch.capacity) }
        _ = inner.receive(into: inbound)
        var passed = 0
        for position in 0..<inbound.count {
            let frame = inbound[position]
            let verdict = program.process(frame.bytes, length: frame.length)
            if verdict.replyLength > 0 { queueReply(program.reply(length: verdict.replyLength)) }
            if verdict.tokens > 0, let queueManager { queueManager.fill(Int(truncatingIfNeeded: verdict.bucket), tokens: verdict.tokens) }
            performDMA(program, frame: frame)
            switch verdict.disposition {
            case .pass:
                guard !batch.isFull else {
                    nicStatistics.hostBatchFullDrops &+= 1
                    continue
                }
                batch.append(frame)
                passed += 1
                nicStatistics.passed &+= 1
            case .queue(let index):
                deliver(frame, to: index, descriptor: verdict.descriptor)
                program.setQueueRoom(index, index < queues.count ? queues[index].freeCount : 0)
            case .drop(let reason):
                nicStatistics.droppedByReason[Int(reason)] &+= 1
            case .exception(let reason):
                divert(frame.buffer, reason: reason)
            }
        }
        if !replies.isEmpty { sendReplies() }
        return passed
    }

    public func releaseReceived(_ batch: FrameBatch) {
        if receiveProgram == nil {
            inner.releaseReceived(batch)
            return
        }
        inner.releaseReceived(inbound)
        inbound.removeAll()
        batch.removeAll()
    }

    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int { inner.reserveTransmit(into: batch, count: count) }

    public func commitTransmit(_ batch: FrameBatch) -> Int {
        if let program = transmitProgram {
            for position in 0..<batch.count where batch[position].length > 0 {
                var frame = batch[position]
                guard !runTransmitProgram(program, on: UnsafeMutableRawBufferPointer(start: frame.bytes, count: frame.length)) else { continue }
                frame.length = 0
                batch[position] = frame
            }
        }
        return inner.commitTransmit(batch)
    }

    /// Runs the transmit program on a frame in place; false when it dropped or diverted the frame (counted).
    private func runTransmitProgram(_ program: Pipeline, on frame: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = frame.baseAddress else { return true }
        let verdict = program.process(base, length: frame.count)
        if verdict.replyLength > 0 { nicStatistics.transmitRepliesIgnored &+= 1 }
        switch verdict.disposition {
        case .pass, .queue:
            return true
        case .drop(let reason):
            nicStatistics.droppedByReason[Int(reason)] &+= 1
        case .exception(let reason):
            divert(UnsafeRawBufferPointer(frame), reason: reason)
        }
        nicStatistics.transmitWithheld &+= 1
        return false
    }

    /// The host rings transmit ring `ring`'s doorbell with its new producer index `tail`; false when
    /// refused (the doorbell pipeline's queue is full, or no such ring): ring again later.
    public func ringDoorbell(transmitQueue ring: Int, tail: UInt32) -> Bool { hostInterface.ringDoorbell(transmitRing: ring, tail: tail) }

    /// Runs the transmit side of the host interface at `nanoseconds` (the QM's clock): the doorbell
    /// pipeline, then up to `maximumDescriptors` descriptors the QM releases, each assembled by the
    /// DMA pipeline and sent through the transmit program onto the wrapped port (one commit per frame, so a descriptor is consumed only
    /// once the wire took its frame or the program withheld it: a port that reserves a slot but
    /// takes nothing at commit is full, and the descriptor waits with its frame as the programs left
    /// it; they do not run again for it). A descriptor shorter than an
    /// Ethernet header (length 0 included) or longer than the wire's frames never reaches the port:
    /// it is consumed and counted (`hostInterface.statistics`). Returns the frames sent.
    @discardableResult
    public func serviceTransmitRings(at nanoseconds: UInt64, maximumDescriptors: Int = .max) -> Int {
        var sent = 0
        _ = hostInterface.transmit(at: nanoseconds, maximumDescriptors: maximumDescriptors, prepare: { frame in
            guard frame.count >= EthernetRepr.untaggedHeaderLength else { return .malformed }
            guard frame.count <= inner.maximumFrameLength else { return .tooLong }
            guard let program = transmitProgram else { return .ready }
            return runTransmitProgram(program, on: frame) ? .ready : .withheldByTransmitProgram
        }, send: { bytes in
            guard inner.reserveTransmit(into: ringTransmit, count: 1) == 1 else { return false }
            var slot = ringTransmit[0]
            if let base = bytes.baseAddress { slot.bytes.copyMemory(from: base, byteCount: bytes.count) }
            slot.length = bytes.count
            ringTransmit[0] = slot
            let published = inner.commitTransmit(ringTransmit)
            ringTransmit.removeAll()
            sent &+= published
            return published == 1
        })
        return sent
    }

    public func poll() { inner.poll() }
    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool { inner.waitForFrames(timeoutNanoseconds: timeoutNanoseconds) }
    public var readinessDescriptor: Int32? { inner.readinessDescriptor }
    public func armReadiness() -> Bool { inner.armReadiness() }
    public func disarmReadiness() { inner.disarmReadiness() }

    private func deliver(_ frame: Frame, to index: Int, descriptor: UInt32) {
        guard index >= 0 && index < queues.count else {
            nicStatistics.unknownQueueDrops &+= 1
            return
        }
        switch queues[index].deliver(frame.bytes, length: frame.length, value: descriptor) {
        case .delivered: nicStatistics.delivered[index] &+= 1
        case .completionRingFull: nicStatistics.queueFullDrops &+= 1
        case .noBuffer: nicStatistics.noBufferDrops &+= 1
        case .bufferTooSmall: nicStatistics.bufferTooSmallDrops &+= 1
        case .ringIndexInvalid: nicStatistics.ringIndexDrops &+= 1
        }
    }

    private func divert(_ bytes: UnsafeRawBufferPointer, reason: UInt8) {
        nicStatistics.exceptionsByReason[Int(reason)] &+= 1
        guard let base = bytes.baseAddress, exceptionQueue.enqueue(base, length: bytes.count, descriptor: UInt32(reason)) else {
            nicStatistics.exceptionQueueFullDrops &+= 1
            return
        }
    }

    /// Copies a reply into a transmit slot of the wrapped port (sent at the end of `receive`).
    private func queueReply(_ reply: UnsafeRawBufferPointer) {
        guard let base = reply.baseAddress, reply.count <= inner.maximumFrameLength, !replies.isFull,
              inner.reserveTransmit(into: replies, count: 1) == 1 else {
            nicStatistics.replyDrops &+= 1
            return
        }
        var slot = replies[replies.count - 1]
        slot.bytes.copyMemory(from: base, byteCount: reply.count)
        slot.length = reply.count
        replies[replies.count - 1] = slot
    }

    private func sendReplies() {
        let queued = UInt64(replies.count)
        let sent = UInt64(inner.commitTransmit(replies))
        nicStatistics.repliesSent &+= sent
        nicStatistics.replyDrops &+= queued - min(sent, queued)
        replies.removeAll()
    }

    /// Carries out the packet's DMA requests against `hostMemory`, refusing any out of range.
    private func performDMA(_ program: Pipeline, frame: Frame) {
        for index in 0..<program.dmaRequestCapacity {
            guard let request = program.dmaRequest(index) else { continue }
            guard let host = hostMemory.baseAddress, request.packetOffset >= 0, request.length >= 0,
                  request.length <= frame.length - request.packetOffset,
                  request.hostAddress <= UInt64(hostMemory.count), UInt64(request.length) <= UInt64(hostMemory.count) - request.hostAddress else {
                nicStatistics.dmaRejected &+= 1
                continue
            }
            let hostBytes = host + Int(request.hostAddress)
            switch request.direction {
            case .toHost: hostBytes.copyMemory(from: frame.bytes + request.packetOffset, byteCount: request.length)
            case .fromHost: (frame.bytes + request.packetOffset).copyMemory(from: hostBytes, byteCount: request.length)
            }
            nicStatistics.dmaCompleted &+= 1
        }
    }
}
