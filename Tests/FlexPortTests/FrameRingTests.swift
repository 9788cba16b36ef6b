import FlexPort
import Testing

/// 64-byte-aligned scratch memory for one ring, freed by `body`'s end.
func withRingMemory<Result>(slotCount: Int, frameCapacity: Int, _ body: (UnsafeMutableRawPointer, Int) throws -> Result) rethrows -> Result {
    let length = FrameRingLayout.ringSize(slotCount: slotCount, frameCapacity: frameCapacity)
    let memory = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: FrameRingLayout.alignment)
    defer { memory.deallocate() }
    return try body(memory, length)
}

@Suite struct FrameRingTests {
    @Test func attachReadsTheGeometryFormatWrote() throws {
        try withRingMemory(slotCount: 32, frameCapacity: 1514) { memory, length in
            let formatted = try FrameRing.format(at: memory, regionLength: length, slotCount: 32, frameCapacity: 1514)
            let attached = try FrameRing(attachingTo: memory, regionLength: length)
            #expect(attached.slotCount == 32)
            #expect(attached.frameCapacity == 1514)
            #expect(attached.slotStride == formatted.slotStride)
            #expect(attached.slotStride % 64 == 0 && attached.slotStride >= 1514 + FrameRingLayout.slotHeaderSize)
            #expect(attached.frameBytes(33) == formatted.frameBytes(1))
        }
    }

    @Test func attachRejectsBadRegions() throws {
        try withRingMemory(slotCount: 8, frameCapacity: 256) { memory, length in
            _ = try FrameRing.format(at: memory, regionLength: length, slotCount: 8, frameCapacity: 256)
            #expect(throws: FrameRingError.regionTooSmall(needed: length, available: length - 1)) {
                try FrameRing(attachingTo: memory, regionLength: length - 1)
            }
            #expect(throws: FrameRingError.misalignedBase) {
                try FrameRing.format(at: memory + 8, regionLength: length - 8, slotCount: 4, frameCapacity: 64)
            }
            #expect(throws: FrameRingError.self) {
                try FrameRing.format(at: memory, regionLength: length, slotCount: 6, frameCapacity: 64)
            }
            memory.storeBytes(of: 3, toByteOffset: FrameRingLayout.slotCountOffset, as: UInt32.self)
            #expect(throws: FrameRingError.badGeometry(slotCount: 3, slotStride: FrameRingLayout.slotStride(frameCapacity: 256), frameCapacity: 256)) {
                try FrameRing(attachingTo: memory, regionLength: length)
            }
            memory.storeBytes(of: 2, toByteOffset: FrameRingLayout.versionOffset, as: UInt32.self)
            #expect(throws: FrameRingError.unsupportedVersion(2)) { try FrameRing(attachingTo: memory, regionLength: length) }
            memory.storeBytes(of: 0, toByteOffset: FrameRingLayout.magicOffset, as: UInt32.self)
            #expect(throws: FrameRingError.badMagic(0)) { try FrameRing(attachingTo: memory, regionLength: length) }
        }
    }

    /// A misbehaving producer (another process, in shared memory) writes a bad length and an index
    /// far beyond the ring: the consumer skips and counts, and never reads outside the ring.
    @Test func consumerSurvivesAHostileProducer() throws {
        try withRingMemory(slotCount: 4, frameCapacity: 128) { memory, length in
            let ring = try FrameRing.format(at: memory, regionLength: length, slotCount: 4, frameCapacity: 128)
            let consumer = FrameRingConsumer(ring: ring, wakeup: try WakeupSignal())
            for index: UInt64 in 0..<4 {
                ring.slot(index).storeBytes(of: index == 1 ? 129 : 60, toByteOffset: FrameRingLayout.slotLengthOffset, as: UInt32.self)
            }
            ring.producerIndex.store(1_000_000, ordering: .releasing)
            let batch = FrameBatch(capacity: 16)
            #expect(consumer.receive(into: batch) == 3)
            #expect(consumer.receive(into: batch) == 0, "nothing beyond one ring's worth of slots")
            consumer.release(batch)
            #expect(ring.consumerIndex.load(ordering: .relaxed) == 4)
            #expect(ring.counter(at: FrameRingLayout.receiveDropsOffset) == 1)
            #expect(ring.counter(at: FrameRingLayout.receivedFramesOffset) == 3)
        }
    }

    /// A consumer index ahead of the producer's is corrupt: the producer treats the ring as full.
    @Test func producerSurvivesAHostileConsumer() throws {
        try withRingMemory(slotCount: 4, frameCapacity: 128) { memory, length in
            let ring = try FrameRing.format(at: memory, regionLength: length, slotCount: 4, frameCapacity: 128)
            ring.consumerIndex.store(7, ordering: .releasing)
            let producer = FrameRingProducer(ring: ring, wakeup: try WakeupSignal(), overflowCapacity: 0)
            let batch = FrameBatch(capacity: 4)
            #expect(producer.reserve(into: batch, count: 4) == 0)
            #expect(producer.reserveSlot(length: 16) == nil)
        }
    }

    /// Fixed-size entries written in place: slots come in ring order until the ring is full, stay
    /// invisible until published, then reach the consumer in order with their lengths and bytes.
    @Test func reservedSlotsArePublishedInOrder() throws {
        try withRingMemory(slotCount: 4, frameCapacity: 32) { memory, length in
            let ring = try FrameRing.format(at: memory, regionLength: length, slotCount: 4, frameCapacity: 32)
            let producer = FrameRingProducer(ring: ring, wakeup: try WakeupSignal(), overflowCapacity: 0)
            let consumer = FrameRingConsumer(ring: ring, wakeup: try WakeupSignal())
            let batch = FrameBatch(capacity: 8)
            for value: UInt8 in 1...3 {
                let entry = try #require(producer.reserveSlot(length: 32))
                #expect(entry == ring.frameBytes(UInt64(value - 1)))
                entry.storeBytes(of: value, as: UInt8.self)
            }
            #expect(consumer.receive(into: batch) == 0, "nothing is visible before the publish")
            #expect(producer.publishReservedSlots() == 3)
            #expect(producer.publishReservedSlots() == 0)
            #expect(ring.counter(at: FrameRingLayout.transmittedFramesOffset) == 3)
            #expect(ring.counter(at: FrameRingLayout.transmittedBytesOffset) == 96)
            _ = try #require(producer.reserveSlot(length: 8))
            #expect(producer.reserveSlot(length: 8) == nil, "four slots, none released by the consumer")
            producer.publishReservedSlots()
            #expect(consumer.receive(into: batch) == 4)
            #expect((0..<3).map { batch[$0].bytes.load(as: UInt8.self) } == [1, 2, 3])
            #expect((0..<4).map { batch[$0].length } == [32, 32, 32, 8])
            consumer.release(batch)
            #expect(producer.reserveSlot(length: 8) != nil, "room again once the consumer released")
        }
    }

    /// One frame at a time: frames come in order and in place, a slot with a bad length is skipped
    /// and counted, and slots go back to the producer only at `releaseTaken`.
    @Test func framesAreTakenOneAtATime() throws {
        try withRingMemory(slotCount: 4, frameCapacity: 32) { memory, length in
            let ring = try FrameRing.format(at: memory, regionLength: length, slotCount: 4, frameCapacity: 32)
            let consumer = FrameRingConsumer(ring: ring, wakeup: try WakeupSignal())
            #expect(consumer.takeFrame() == nil)
            for (index, slotLength) in [UInt32(5), 33, 7].enumerated() {
                ring.slot(UInt64(index)).storeBytes(of: slotLength, toByteOffset: FrameRingLayout.slotLengthOffset, as: UInt32.self)
            }
            ring.producerIndex.store(3, ordering: .releasing)
            let first = try #require(consumer.takeFrame())
            #expect(first.length == 5 && first.bytes == ring.frameBytes(0))
            let second = try #require(consumer.takeFrame(), "the slot of length 33 is skipped")
            #expect(second.length == 7 && second.bytes == ring.frameBytes(2))
            #expect(consumer.takeFrame() == nil)
            #expect(ring.counter(at: FrameRingLayout.receiveDropsOffset) == 1)
            #expect(ring.counter(at: FrameRingLayout.receivedFramesOffset) == 2)
            #expect(ring.counter(at: FrameRingLayout.receivedBytesOffset) == 12)
            #expect(ring.consumerIndex.load(ordering: .relaxed) == 0, "nothing given back before releaseTaken")
            consumer.releaseTaken()
            #expect(ring.consumerIndex.load(ordering: .relaxed) == 3)
        }
    }
}
