import Atomics
import FlexPort

/// The room-wanted handshake of one queue (`ContextQueueLayout`, header line 1): a producer that
/// found the queue full asks its consumer for a signal once slots are free, without a lost wake-up.
///
/// Contract: the producer calls `announce()` and only then looks at the consumer index once more
/// before it sleeps (or, for the fast path, before it leaves events pending); the consumer calls
/// `notifyProducer()` after every store of a new consumer index. Sequentially consistent fences on
/// both sides make one of them see the other.
struct RoomRequest {
    let flag: UnsafeAtomic<UInt64>
    let producerSignal: WakeupSignal

    func announce() {
        flag.store(1, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
    }

    /// The producer no longer needs the signal (the second look found room).
    func withdraw() {
        flag.store(0, ordering: .relaxed)
    }

    func notifyProducer() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if flag.load(ordering: .relaxed) != 0, flag.exchange(0, ordering: .sequentiallyConsistent) != 0 {
            producerSignal.signal()
        }
    }
}
