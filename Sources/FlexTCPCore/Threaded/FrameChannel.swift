import FlexPort

/// A frame ring in memory of its own, from one thread of the process to another: the frame ring
/// implementation the context queues use (`FrameRing`, `FrameRingLayout`), with its producer and
/// consumer ends and the armed-flag wake-up of the consuming thread's `consumerSignal`.
///
/// Contract: one producing thread uses `producer`, one consuming thread `consumer`, `arm` and
/// `hasPending`. Nothing is dropped silently: a frame that finds no room is the producer's to
/// count (`FrameRingProducer.commit`). Owns its memory; both ends must be done before it goes.
final class FrameChannel {
    let ring: FrameRing
    let producer: FrameRingProducer
    let consumer: FrameRingConsumer
    private let memory: UnsafeMutableRawPointer

    init(slotCount: Int, frameCapacity: Int, consumerSignal: WakeupSignal) throws(FrameRingError) {
        let size = FrameRingLayout.ringSize(slotCount: slotCount, frameCapacity: frameCapacity)
        memory = .allocate(byteCount: size, alignment: FrameRingLayout.alignment)
        do {
            ring = try FrameRing.format(at: memory, regionLength: size, slotCount: slotCount, frameCapacity: frameCapacity)
        } catch {
            memory.deallocate()
            throw error
        }
        producer = FrameRingProducer(ring: ring, wakeup: consumerSignal, overflowCapacity: 0)
        consumer = FrameRingConsumer(ring: ring, wakeup: consumerSignal)
    }

    deinit { memory.deallocate() }

    /// Consumer: sets (or clears) the armed flag before (after) an idle sleep on `consumerSignal`.
    func arm(_ armed: Bool) { ring.armed.store(armed ? 1 : 0, ordering: .sequentiallyConsistent) }

    /// Consumer: published frames wait.
    var hasPending: Bool { consumer.hasPendingFrames }
}

/// A single-producer/single-consumer ring of trivial values (no references) between two threads
/// of one process, each value carried bitwise in one slot of a `FrameChannel`.
///
/// Contract: the producing thread calls `send` (false when the ring is full: the caller keeps the
/// value and retries, in order); the consuming thread calls `take`, reads `self[0 ..< taken]`,
/// then `release`, and arms the ring for idle sleeps. Values arrive in the order sent.
final class ValueRing<Element> {
    let channel: FrameChannel
    private let sending = FrameBatch(capacity: 1)
    private let taken: FrameBatch

    init(slotCount: Int, consumerSignal: WakeupSignal, batchSize: Int = 64) throws(FrameRingError) {
        precondition(_isPOD(Element.self), "only trivial values cross threads bitwise")
        channel = try FrameChannel(slotCount: slotCount, frameCapacity: MemoryLayout<Element>.size, consumerSignal: consumerSignal)
        taken = FrameBatch(capacity: batchSize)
    }

    /// Producer: publishes `value`; false when the ring is full.
    func send(_ value: Element) -> Bool {
        guard channel.producer.reserve(into: sending, count: 1) == 1 else { return false }
        var slot = sending[0]
        slot.bytes.storeBytes(of: value, as: Element.self)
        slot.length = MemoryLayout<Element>.size
        sending[0] = slot
        return channel.producer.commit(sending) == 1
    }

    /// Consumer: takes up to a batch of published values; returns how many.
    func take() -> Int { channel.consumer.receive(into: taken) }

    /// Consumer: the `index`th value taken.
    subscript(index: Int) -> Element { taken[index].bytes.loadUnaligned(as: Element.self) }

    /// Consumer: gives the taken values' slots back.
    func release() { channel.consumer.release(taken) }
}
