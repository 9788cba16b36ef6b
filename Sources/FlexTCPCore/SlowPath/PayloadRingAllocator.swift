/// Carves the fast path's payload region into fixed-size receive + transmit ring pairs.
///
/// Contract: pair `i` occupies `[i·(rx+tx), (i+1)·(rx+tx))` of the region, receive ring first;
/// `allocate()` returns nil when no pair is free; `free(_:)` returns a pair for reuse.
struct PayloadRingAllocator {
    struct RingPair: Equatable {
        var slot: Int
        var receiveOffset: UInt32
        var transmitOffset: UInt32
    }

    let receiveRingSize: UInt32
    let transmitRingSize: UInt32
    private var slots: IndexPool

    init(regionSize: Int, receiveRingSize: UInt32, transmitRingSize: UInt32) {
        precondition(receiveRingSize > 0 && transmitRingSize > 0, "ring sizes must be positive")
        self.receiveRingSize = receiveRingSize
        self.transmitRingSize = transmitRingSize
        slots = IndexPool(capacity: regionSize / Int(receiveRingSize + transmitRingSize))
    }

    var availablePairs: Int { slots.availableCount }

    mutating func allocate() -> RingPair? {
        guard let slot = slots.take() else { return nil }
        let base = UInt32(slot) * (receiveRingSize + transmitRingSize)
        return RingPair(slot: slot, receiveOffset: base, transmitOffset: base + receiveRingSize)
    }

    mutating func free(_ pair: RingPair) { slots.give(pair.slot) }
}
