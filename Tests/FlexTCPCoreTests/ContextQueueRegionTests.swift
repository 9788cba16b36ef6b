import FlexPort
@testable import FlexTCPCore
import Testing

/// One context's queue set in heap memory, with new signals and the three parties' endpoints.
final class ContextQueueFixture {
    let memory: UnsafeMutableRawPointer
    let regionLength: Int
    let queues: ContextQueues
    let signals: ContextQueueSignals
    let fastPath: FastPathContextEndpoint
    let application: ApplicationContextEndpoint
    let slowPath: SlowPathContextEndpoint

    init(context: UInt16 = 7, capacities: ContextQueueCapacities = ContextQueueCapacities(), flowCapacity: Int = 64,
         batchSize: Int = 32) throws {
        regionLength = try #require(ContextQueues.regionSize(for: capacities))
        memory = .allocate(byteCount: regionLength, alignment: FrameRingLayout.alignment)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: regionLength)  // as a fresh memfd is
        queues = try ContextQueues.format(at: memory, regionLength: regionLength, context: context, capacities: capacities)
        signals = try ContextQueueSignals()
        fastPath = FastPathContextEndpoint(queues: queues, signals: signals, flowCapacity: flowCapacity, batchSize: batchSize)
        // The application attaches as it would in another process.
        let attached = try ContextQueues(attachingTo: memory, regionLength: regionLength)
        application = ApplicationContextEndpoint(queues: attached, signals: signals, batchSize: batchSize)
        slowPath = SlowPathContextEndpoint(queues: queues, signals: signals)
    }

    deinit { memory.deallocate() }

    /// Everything waiting in the receive queue.
    func pollAll() -> [ReceiveQueueEntry] {
        var result: [ReceiveQueueEntry] = []
        var buffer = [ReceiveQueueEntry](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 16)
        while true {
            let count = buffer.withUnsafeMutableBufferPointer { application.poll(into: $0) }
            if count == 0 { return result }
            result += buffer.prefix(count)
        }
    }
}

extension FrameRing {
    /// Publishes one slot holding `bytes` with slot length `length`, as a misbehaving producer in
    /// another process might (no checks, no wake-up).
    func publishRaw(_ bytes: [UInt8], length: Int) {
        let index = producerIndex.load(ordering: .relaxed)
        let slot = self.slot(index)
        slot.storeBytes(of: UInt32(truncatingIfNeeded: length), toByteOffset: FrameRingLayout.slotLengthOffset, as: UInt32.self)
        bytes.withUnsafeBytes { frameBytes(index).copyMemory(from: $0.baseAddress!, byteCount: min(bytes.count, frameCapacity)) }
        producerIndex.store(index &+ 1, ordering: .releasing)
    }
}

@Suite struct ContextQueueRegionTests {
    @Test func attachSeesWhatFormatLaidOut() throws {
        let capacities = ContextQueueCapacities(receiveEntries: 8, transmitEntries: 16, requestEntries: 4, eventEntries: 2)
        let fixture = try ContextQueueFixture(context: 513, capacities: capacities)
        let attached = try ContextQueues(attachingTo: fixture.memory, regionLength: fixture.regionLength)
        #expect(attached.context == 513)
        for kind in ContextQueueKind.allCases {
            #expect(attached.ring(kind).base == fixture.queues.ring(kind).base)
            #expect(attached.ring(kind).slotStride == 64, "every entry size fits one 64-byte slot")
            #expect(attached.ring(kind).frameCapacity == kind.entrySize)
        }
        #expect(attached.receive.slotCount == 8 && attached.transmit.slotCount == 16)
        #expect(attached.requests.slotCount == 4 && attached.events.slotCount == 2)
        // The rings follow the header back to back, in header order.
        #expect(attached.receive.base == fixture.memory + ContextQueueLayout.headerSize)
        #expect(attached.transmit.base == attached.receive.base + FrameRingLayout.ringSize(slotCount: 8, frameCapacity: 32))
        #expect(attached.events.base + FrameRingLayout.ringSize(slotCount: 2, frameCapacity: 48) == fixture.memory + fixture.regionLength)
    }

    @Test func badCapacitiesAreRefused() {
        #expect(ContextQueues.regionSize(for: ContextQueueCapacities(receiveEntries: 6)) == nil)
        #expect(ContextQueues.regionSize(for: ContextQueueCapacities(eventEntries: 1)) == nil)
        #expect(ContextQueues.regionSize(for: ContextQueueCapacities(transmitEntries: -4)) == nil)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 64)
        defer { memory.deallocate() }
        #expect(throws: ContextQueueError.badSlotCount(.requests, 3)) {
            try ContextQueues.format(at: memory, regionLength: 1 << 16, context: 0, capacities: ContextQueueCapacities(requestEntries: 3))
        }
        #expect(throws: ContextQueueError.misalignedBase) {
            try ContextQueues.format(at: memory + 8, regionLength: 1 << 15, context: 0, capacities: ContextQueueCapacities(receiveEntries: 2))
        }
        let needed = ContextQueues.regionSize(for: ContextQueueCapacities())!
        #expect(throws: ContextQueueError.regionTooSmall(needed: needed, available: 1 << 12)) {
            try ContextQueues.format(at: memory, regionLength: 1 << 12, context: 0)
        }
    }

    /// A region whose header or rings were damaged (or written by someone else) is refused with
    /// the reason, never trapped on.
    @Test func attachRefusesDamagedRegions() throws {
        let fixture = try ContextQueueFixture()
        let base = fixture.memory
        let length = fixture.regionLength
        #expect(throws: ContextQueueError.regionTooSmall(needed: length, available: length - 64)) {
            try ContextQueues(attachingTo: base, regionLength: length - 64)
        }
        let transmitRing = fixture.queues.transmit.base
        transmitRing.storeBytes(of: 48, toByteOffset: FrameRingLayout.frameCapacityOffset, as: UInt32.self)
        #expect(throws: ContextQueueError.queueMismatch(.transmit)) { try ContextQueues(attachingTo: base, regionLength: length) }
        transmitRing.storeBytes(of: 0, toByteOffset: FrameRingLayout.magicOffset, as: UInt32.self)
        #expect(throws: ContextQueueError.badQueue(.transmit, .badMagic(0))) { try ContextQueues(attachingTo: base, regionLength: length) }
        base.storeBytes(of: 0xffff_ffff, toByteOffset: ContextQueueLayout.slotCountOffset(of: .events), as: UInt32.self)
        #expect(throws: ContextQueueError.badSlotCount(.events, 0xffff_ffff)) { try ContextQueues(attachingTo: base, regionLength: length) }
        // Version 1's opened entries had no segment size: a library of that layout is refused.
        base.storeBytes(of: 1, toByteOffset: ContextQueueLayout.versionOffset, as: UInt32.self)
        #expect(throws: ContextQueueError.unsupportedVersion(1)) { try ContextQueues(attachingTo: base, regionLength: length) }
        base.storeBytes(of: 0x1234, toByteOffset: ContextQueueLayout.magicOffset, as: UInt32.self)
        #expect(throws: ContextQueueError.badMagic(0x1234)) { try ContextQueues(attachingTo: base, regionLength: length) }
    }
}
