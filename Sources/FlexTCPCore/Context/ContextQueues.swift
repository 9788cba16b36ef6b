import Atomics
import FlexPort

/// Why a memory region does not hold a usable context queue set.
package enum ContextQueueError: Error, Equatable {
    case misalignedBase
    case regionTooSmall(needed: Int, available: Int)
    case badMagic(UInt32)
    case unsupportedVersion(UInt32)
    /// A slot count is not a power of two in 2 ... `FrameRingLayout.maximumSlotCount`.
    case badSlotCount(ContextQueueKind, Int)
    /// A queue's ring header does not hold the ring the context header describes.
    case badQueue(ContextQueueKind, FrameRingError)
    case queueMismatch(ContextQueueKind)
}

/// How many entries each queue of a context holds (each a power of two, 2 ... 2^20).
package struct ContextQueueCapacities: Equatable, Sendable {
    package var receiveEntries: Int
    package var transmitEntries: Int
    package var requestEntries: Int
    package var eventEntries: Int

    package init(receiveEntries: Int = 256, transmitEntries: Int = 256, requestEntries: Int = 64, eventEntries: Int = 64) {
        self.receiveEntries = receiveEntries
        self.transmitEntries = transmitEntries
        self.requestEntries = requestEntries
        self.eventEntries = eventEntries
    }

    /// The slot counts in `ContextQueueKind` order.
    var slotCounts: [Int] { [receiveEntries, transmitEntries, requestEntries, eventEntries] }
}

/// A process-local view of one context's queue set laid out as `ContextQueueLayout` describes, in
/// memory the caller owns (heap memory in one process, or a mapping shared between processes).
///
/// Contract: the view holds the region's base and validated views of its four rings; it neither
/// owns nor frees the memory, which must outlive every view and endpoint built on it. The service
/// (fast path and slow path) creates the set with `format`; the application library attaches with
/// `init(attachingTo:regionLength:)`, which checks everything it reads. Each party then builds
/// its endpoint (`FastPathContextEndpoint`, `ApplicationContextEndpoint`, `SlowPathContextEndpoint`)
/// on the view and the context's `ContextQueueSignals`.
package struct ContextQueues {
    package let base: UnsafeMutableRawPointer
    package let context: UInt16
    package let receive: FrameRing
    package let transmit: FrameRing
    package let requests: FrameRing
    package let events: FrameRing

    /// Bytes the region needs for `capacities` (a multiple of 64), or nil if a capacity is invalid.
    package static func regionSize(for capacities: ContextQueueCapacities) -> Int? {
        guard (try? validate(capacities.slotCounts)) != nil else { return nil }
        return ContextQueueLayout.ringOffset(of: .events, slotCounts: capacities.slotCounts)
            + FrameRingLayout.ringSize(slotCount: capacities.eventEntries, frameCapacity: ContextQueueKind.events.entrySize)
    }

    /// Lays out an empty queue set for `context` at `base` (64-byte aligned, `regionSize` bytes).
    package static func format(at base: UnsafeMutableRawPointer, regionLength: Int, context: UInt16,
                              capacities: ContextQueueCapacities = ContextQueueCapacities()) throws(ContextQueueError) -> ContextQueues {
        let counts = capacities.slotCounts
        try validate(counts)
        try checkRegion(base: base, regionLength: regionLength, slotCounts: counts)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: ContextQueueLayout.headerSize)
        base.storeBytes(of: ContextQueueLayout.magic.littleEndian, toByteOffset: ContextQueueLayout.magicOffset, as: UInt32.self)
        base.storeBytes(of: ContextQueueLayout.version.littleEndian, toByteOffset: ContextQueueLayout.versionOffset, as: UInt32.self)
        base.storeBytes(of: context.littleEndian, toByteOffset: ContextQueueLayout.contextOffset, as: UInt16.self)
        for kind in ContextQueueKind.allCases {
            base.storeBytes(of: UInt32(counts[kind.rawValue]).littleEndian, toByteOffset: ContextQueueLayout.slotCountOffset(of: kind), as: UInt32.self)
            (base + ContextQueueLayout.roomWantedOffset(of: kind)).initializeMemory(as: UInt64.AtomicRepresentation.self, to: .init(0))
        }
        var rings: [FrameRing] = []
        for kind in ContextQueueKind.allCases {
            let offset = ContextQueueLayout.ringOffset(of: kind, slotCounts: counts)
            do {
                rings.append(try FrameRing.format(at: base + offset, regionLength: regionLength - offset,
                                                  slotCount: counts[kind.rawValue], frameCapacity: kind.entrySize))
            } catch {
                throw .badQueue(kind, error)
            }
        }
        return ContextQueues(base: base, context: context, rings: rings)
    }

    /// Checks the queue set another party formatted at `base` and returns a view of it.
    package init(attachingTo base: UnsafeMutableRawPointer, regionLength: Int) throws(ContextQueueError) {
        guard Int(bitPattern: base) % FrameRingLayout.alignment == 0 else { throw .misalignedBase }
        guard regionLength >= ContextQueueLayout.headerSize else {
            throw .regionTooSmall(needed: ContextQueueLayout.headerSize, available: regionLength)
        }
        let magic = UInt32(littleEndian: base.load(fromByteOffset: ContextQueueLayout.magicOffset, as: UInt32.self))
        guard magic == ContextQueueLayout.magic else { throw .badMagic(magic) }
        let version = UInt32(littleEndian: base.load(fromByteOffset: ContextQueueLayout.versionOffset, as: UInt32.self))
        guard version == ContextQueueLayout.version else { throw .unsupportedVersion(version) }
        let counts = ContextQueueKind.allCases.map {
            Int(UInt32(littleEndian: base.load(fromByteOffset: ContextQueueLayout.slotCountOffset(of: $0), as: UInt32.self)))
        }
        try ContextQueues.validate(counts)
        try ContextQueues.checkRegion(base: base, regionLength: regionLength, slotCounts: counts)
        var rings: [FrameRing] = []
        for kind in ContextQueueKind.allCases {
            let offset = ContextQueueLayout.ringOffset(of: kind, slotCounts: counts)
            let ring: FrameRing
            do {
                ring = try FrameRing(attachingTo: base + offset, regionLength: regionLength - offset)
            } catch {
                throw .badQueue(kind, error)
            }
            guard ring.slotCount == counts[kind.rawValue], ring.frameCapacity == kind.entrySize else { throw .queueMismatch(kind) }
            rings.append(ring)
        }
        let context = UInt16(littleEndian: base.load(fromByteOffset: ContextQueueLayout.contextOffset, as: UInt16.self))
        self.init(base: base, context: context, rings: rings)
    }

    private init(base: UnsafeMutableRawPointer, context: UInt16, rings: [FrameRing]) {
        self.base = base
        self.context = context
        receive = rings[ContextQueueKind.receive.rawValue]
        transmit = rings[ContextQueueKind.transmit.rawValue]
        requests = rings[ContextQueueKind.requests.rawValue]
        events = rings[ContextQueueKind.events.rawValue]
    }

    package func ring(_ kind: ContextQueueKind) -> FrameRing {
        switch kind {
        case .receive: receive
        case .transmit: transmit
        case .requests: requests
        case .events: events
        }
    }

    /// The room-wanted handshake of `kind`'s queue; `producerSignal` wakes that queue's producer.
    func roomRequest(_ kind: ContextQueueKind, producerSignal: WakeupSignal) -> RoomRequest {
        let flag = (base + ContextQueueLayout.roomWantedOffset(of: kind)).assumingMemoryBound(to: UInt64.AtomicRepresentation.self)
        return RoomRequest(flag: UnsafeAtomic(at: flag), producerSignal: producerSignal)
    }

    private static func validate(_ slotCounts: [Int]) throws(ContextQueueError) {
        for kind in ContextQueueKind.allCases {
            let count = slotCounts[kind.rawValue]
            guard count >= 2, count <= FrameRingLayout.maximumSlotCount, count & (count - 1) == 0 else { throw .badSlotCount(kind, count) }
        }
    }

    private static func checkRegion(base: UnsafeMutableRawPointer, regionLength: Int, slotCounts: [Int]) throws(ContextQueueError) {
        guard Int(bitPattern: base) % FrameRingLayout.alignment == 0 else { throw .misalignedBase }
        let needed = ContextQueueLayout.ringOffset(of: .events, slotCounts: slotCounts)
            + FrameRingLayout.ringSize(slotCount: slotCounts[ContextQueueKind.events.rawValue], frameCapacity: ContextQueueKind.events.entrySize)
        guard regionLength >= needed else { throw .regionTooSmall(needed: needed, available: regionLength) }
    }
}

/// The wake-up signals (eventfds) of one context's queues, one per consuming party.
///
/// Contract: `application` wakes the application (new receive or event entries, room in its
/// transmit or request queue); `fastPath` wakes the fast path (new transmit entries, room in the
/// receive queue); `slowPath` wakes the slow path (new requests, room in the event queue). The fast
/// path's and slow path's signals may be shared by all contexts they serve, so each sleeps on one
/// descriptor. In service mode the descriptors are passed to the application with the region.
package struct ContextQueueSignals: Sendable {
    package let application: WakeupSignal
    package let fastPath: WakeupSignal
    package let slowPath: WakeupSignal

    package init(application: WakeupSignal, fastPath: WakeupSignal, slowPath: WakeupSignal) {
        self.application = application
        self.fastPath = fastPath
        self.slowPath = slowPath
    }

    /// Three new signals.
    package init() throws(WakeupSignalError) {
        self.init(application: try WakeupSignal(), fastPath: try WakeupSignal(), slowPath: try WakeupSignal())
    }
}
