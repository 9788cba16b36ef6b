/// Carves the fast path's payload region into fixed-size receive + transmit ring pairs, in one
/// pool per application (`PayloadRingPartition`), so a connection's rings always lie in the memory
/// of the application whose context owns it, and an application holds at most its pool's pairs.
///
/// Contract: without a partition, pair `i` occupies `[i·(rx+tx), (i+1)·(rx+tx))` of the region,
/// receive ring first, in one pool every context shares. With one, pair `i` of partition `p` lies
/// at `p·partitionStride + firstRingOffset + i·(rx+tx)`, and contexts `p·contextsPerPartition ..<
/// (p+1)·contextsPerPartition` take from partition `p`. `allocate(forContext:)` returns nil when
/// the context's pool has no pair free (or the context lies beyond every partition); `free(_:)`
/// returns a pair for reuse.
struct PayloadRingAllocator {
    struct RingPair: Equatable {
        var slot: Int
        var receiveOffset: UInt32
        var transmitOffset: UInt32
    }

    let receiveRingSize: UInt32
    let transmitRingSize: UInt32
    private let partition: PayloadRingPartition
    private var pools: [IndexPool]
    /// Allocations each pool refused for want of a free pair (an application at its limit).
    private var refusals: [UInt64]

    init(regionSize: Int, receiveRingSize: UInt32, transmitRingSize: UInt32, partition: PayloadRingPartition? = nil) {
        precondition(receiveRingSize > 0 && transmitRingSize > 0, "ring sizes must be positive")
        self.receiveRingSize = receiveRingSize
        self.transmitRingSize = transmitRingSize
        let pairs = regionSize / Int(receiveRingSize + transmitRingSize)
        let partition = partition ?? PayloadRingPartition(count: 1, contextsPerPartition: .max, stride: regionSize, firstRingOffset: 0,
                                                          pairsPerPartition: pairs)
        self.partition = partition
        pools = (0..<partition.count).map { _ in IndexPool(capacity: partition.pairsPerPartition) }
        refusals = Array(repeating: 0, count: partition.count)
    }

    var availablePairs: Int { pools.reduce(0) { $0 + $1.availableCount } }

    /// The pool `context` takes from, or nil for a context beyond every partition.
    private func pool(ofContext context: UInt16) -> Int? {
        let pool = Int(context) / partition.contextsPerPartition
        return pool < pools.count ? pool : nil
    }

    /// Pairs still free in the pool `context` takes from (0 for a context beyond every partition).
    func availablePairs(forContext context: UInt16) -> Int { pool(ofContext: context).map { pools[$0].availableCount } ?? 0 }

    /// Allocations refused so far to the pool `context` takes from.
    func refusals(forContext context: UInt16) -> UInt64 { pool(ofContext: context).map { refusals[$0] } ?? 0 }

    /// Counts a connection refused to the pool `context` takes from without an allocation tried.
    mutating func recordRefusal(forContext context: UInt16) {
        if let pool = pool(ofContext: context) { refusals[pool] &+= 1 }
    }

    mutating func allocate(forContext context: UInt16) -> RingPair? {
        guard let pool = pool(ofContext: context) else { return nil }
        guard let index = pools[pool].take() else {
            refusals[pool] &+= 1
            return nil
        }
        let base = UInt32(pool * partition.stride + partition.firstRingOffset) + UInt32(index) * (receiveRingSize + transmitRingSize)
        return RingPair(slot: pool * partition.pairsPerPartition + index, receiveOffset: base, transmitOffset: base + receiveRingSize)
    }

    mutating func free(_ pair: RingPair) {
        pools[pair.slot / partition.pairsPerPartition].give(pair.slot % partition.pairsPerPartition)
    }
}

/// How the payload region is split between applications in service mode: `count` partitions of
/// `stride` bytes, the rings of partition `p` from `firstRingOffset` on (`pairsPerPartition` ring
/// pairs), serving contexts `p·contextsPerPartition ..< (p+1)·contextsPerPartition`.
package struct PayloadRingPartition: Sendable, Equatable {
    package var count: Int
    package var contextsPerPartition: Int
    package var stride: Int
    package var firstRingOffset: Int
    package var pairsPerPartition: Int

    package init(count: Int, contextsPerPartition: Int, stride: Int, firstRingOffset: Int, pairsPerPartition: Int) {
        self.count = count
        self.contextsPerPartition = contextsPerPartition
        self.stride = stride
        self.firstRingOffset = firstRingOffset
        self.pairsPerPartition = pairsPerPartition
    }
}
