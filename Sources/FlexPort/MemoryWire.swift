import FlexWire

/// Two `Port` endpoints joined by an in-memory wire, for embedded mode and deterministic tests.
///
/// Contract: both directions live in ONE memory region, laid out as two `FrameRingLayout` rings
/// (a→b at offset 0, b→a right after it), so the same bytes could be a shared mapping between two
/// processes. `a` transmits straight into the slots of b's receive ring and vice versa (zero copy).
/// Each direction takes one producer thread and one consumer thread at a time. The region lives as
/// long as either endpoint. With `trustsPartialChecksums` (both ends agree, e.g. two FlexTCP stacks)
/// the wire waives transport checksums: each end's `transmitChecksumOffload` is `.trustedLink`, and a
/// frame sent marked `.checksumPartial` arrives marked `.checksumVerified` as well; frames sent without
/// the mark arrive as they were sent and are verified as usual.
public struct MemoryWire: Sendable {
    public let a: MemoryWireEndpoint
    public let b: MemoryWireEndpoint

    /// - Parameters:
    ///   - capacity: slots per direction, rounded up to a power of two (2 ... 2^20).
    ///   - maximumFrameLength: the largest frame either side may send, Ethernet header included.
    ///   - overflowCapacity: transmit buffers each side may hold beyond a full ring (their frames are
    ///     dropped at commit unless room appears); see `FrameRingProducer`.
    ///   - trustsPartialChecksums: both ends agree that frames sent with a partial checksum need none.
    public init(capacity: Int = 1024, maximumFrameLength: Int = 1514,
                macAddresses: (a: MACAddress, b: MACAddress) = (MACAddress(0x02, 0, 0, 0, 0, 0x0a), MACAddress(0x02, 0, 0, 0, 0, 0x0b)),
                overflowCapacity: Int = 64, trustsPartialChecksums: Bool = false) throws {
        let slotCount = max(2, 1 << (Int.bitWidth - (max(capacity, 2) - 1).leadingZeroBitCount))
        let ringSize = FrameRingLayout.ringSize(slotCount: slotCount, frameCapacity: maximumFrameLength)
        let region = MemoryWireRegion(byteCount: 2 * ringSize)
        let aToB = try FrameRing.format(at: region.base, regionLength: ringSize, slotCount: slotCount, frameCapacity: maximumFrameLength)
        let bToA = try FrameRing.format(at: region.base + ringSize, regionLength: ringSize, slotCount: slotCount, frameCapacity: maximumFrameLength)
        let wakeA = try WakeupSignal()
        let wakeB = try WakeupSignal()
        let offload: TransmitChecksumOffload = trustsPartialChecksums ? .trustedLink : .none
        a = MemoryWireEndpoint(region: region, macAddress: macAddresses.a, transmitChecksumOffload: offload,
                               producer: FrameRingProducer(ring: aToB, wakeup: wakeB, overflowCapacity: overflowCapacity),
                               consumer: FrameRingConsumer(ring: bToA, wakeup: wakeA, trustsPartialChecksums: trustsPartialChecksums))
        b = MemoryWireEndpoint(region: region, macAddress: macAddresses.b, transmitChecksumOffload: offload,
                               producer: FrameRingProducer(ring: bToA, wakeup: wakeA, overflowCapacity: overflowCapacity),
                               consumer: FrameRingConsumer(ring: aToB, wakeup: wakeB, trustsPartialChecksums: trustsPartialChecksums))
    }
}

/// The heap memory behind one `MemoryWire`, freed when neither endpoint uses it any more.
final class MemoryWireRegion: Sendable {
    // Sendable: `base` never changes; the bytes behind it are accessed only under the ring protocol.
    nonisolated(unsafe) let base: UnsafeMutableRawPointer

    init(byteCount: Int) {
        base = .allocate(byteCount: byteCount, alignment: FrameRingLayout.alignment)
    }

    deinit { base.deallocate() }
}

/// One end of a `MemoryWire`: transmits into the peer's receive ring, receives from its own.
///
/// Contract: the `Port` contract, with `releaseReceived` also emptying the batch. Receive-side calls
/// (`receive`, `releaseReceived`, `waitForFrames`, readiness) and transmit-side calls (`reserveTransmit`,
/// `commitTransmit`) may run on two different threads; `statistics` on any thread. `poll()` has
/// nothing to do.
public final class MemoryWireEndpoint: Port, @unchecked Sendable {
    // Sendable: the transmit side's state is touched only by the one transmitting thread and the
    // receive side's only by the one receiving thread (the contract above); everything the two sides
    // and the peer share is in the region and is accessed through atomics per `FrameRingLayout`.
    public let macAddress: MACAddress
    public var maximumFrameLength: Int { producer.ring.frameCapacity }
    /// `.trustedLink` when the wire was made with `trustsPartialChecksums`, else `.none`.
    public let transmitChecksumOffload: TransmitChecksumOffload
    private let region: MemoryWireRegion
    private let producer: FrameRingProducer
    private let consumer: FrameRingConsumer

    init(region: MemoryWireRegion, macAddress: MACAddress, transmitChecksumOffload: TransmitChecksumOffload,
         producer: FrameRingProducer, consumer: FrameRingConsumer) {
        self.region = region
        self.macAddress = macAddress
        self.transmitChecksumOffload = transmitChecksumOffload
        self.producer = producer
        self.consumer = consumer
    }

    public var statistics: PortStatistics {
        PortStatistics(transmittingOn: producer.ring, receivingFrom: consumer.ring)
    }

    public func receive(into batch: FrameBatch) -> Int { consumer.receive(into: batch) }
    public func releaseReceived(_ batch: FrameBatch) { consumer.release(batch) }
    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int { producer.reserve(into: batch, count: count) }
    public func commitTransmit(_ batch: FrameBatch) -> Int { producer.commit(batch) }
    public func poll() {}
    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool { consumer.waitForFrames(timeoutNanoseconds: timeoutNanoseconds) }
    /// The receive side's wake-up eventfd, signalled by the peer when the ring is armed.
    public var readinessDescriptor: Int32? { consumer.wakeupDescriptor }
    public func armReadiness() -> Bool { consumer.arm() }
    public func disarmReadiness() { consumer.disarm() }
    /// Frames are published into the receive ring as they are sent (`poll` does nothing).
    public var mayHaveFramesToReceive: Bool { consumer.hasPendingFrames }
}
