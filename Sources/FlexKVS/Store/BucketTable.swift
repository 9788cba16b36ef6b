#if canImport(Glibc)
import Glibc
#endif

/// A partition's block-chain hash table. Each bucket is one 64-byte cache line of eight words:
///
/// ```
/// word 0      occupancy bits of slots 1...6 (the bucket's header word)
/// words 1...6 item slots: tag (hash bits 48...63) << 48 | (item offset / 8 + 1); 0 = empty
/// word 7      the next bucket of the chain (overflow bucket id, 0 = none)
/// ```
///
/// A lookup compares the 16-bit tags in the cache line and follows an item reference only on a
/// tag match, so mismatches cost no pointer chase. A power-of-two number of head buckets is
/// indexed by the low bits of the hash; full buckets chain overflow buckets through their last word.
///
/// Contract: used under the owning partition's lock. Overflow buckets come from chunks allocated
/// as needed and are reused once their chain no longer needs them.
struct BucketTable {
    static let slotsPerBucket = 6
    private static let wordsPerBucket = 8
    private static let chunkBuckets = 256
    private static let fullMask: UInt64 = (1 << slotsPerBucket) - 1

    let headCount: Int
    private let heads: UnsafeMutablePointer<UInt64>
    private var overflowChunks: [UnsafeMutablePointer<UInt64>] = []
    private var freeOverflow: [Int32] = []

    /// A slot found or claimed: its bucket and index 1...6.
    struct Slot {
        let bucket: UnsafeMutablePointer<UInt64>
        let index: Int
        var word: UInt64 { bucket[index] }
        var itemOffset: Int { Int((bucket[index] & 0xFFFF_FFFF_FFFF) &- 1) << 3 }
    }

    init(headCount: Int) {
        precondition(headCount > 0 && headCount & (headCount - 1) == 0)
        self.headCount = headCount
        let raw = UnsafeMutableRawPointer.allocate(byteCount: headCount * 64, alignment: 64)
        heads = raw.bindMemory(to: UInt64.self, capacity: headCount * Self.wordsPerBucket)
        heads.initialize(repeating: 0, count: headCount * Self.wordsPerBucket)
    }

    /// Frees the table's memory (the owner's deinit).
    func deallocate() {
        UnsafeMutableRawPointer(heads).deallocate()
        for chunk in overflowChunks { UnsafeMutableRawPointer(chunk).deallocate() }
    }

    @inline(__always)
    static func tag(of hash: UInt64) -> UInt64 { hash & 0xFFFF_0000_0000_0000 }

    @inline(__always)
    static func slotWord(hash: UInt64, itemOffset: Int) -> UInt64 { tag(of: hash) | (UInt64(itemOffset >> 3) &+ 1) }

    @inline(__always)
    private func head(for hash: UInt64) -> UnsafeMutablePointer<UInt64> {
        heads + Int(truncatingIfNeeded: hash & UInt64(headCount - 1)) * Self.wordsPerBucket
    }

    @inline(__always)
    private func overflow(_ id: UInt64) -> UnsafeMutablePointer<UInt64> {
        let index = Int(id - 1)
        return overflowChunks[index / Self.chunkBuckets] + (index % Self.chunkBuckets) * Self.wordsPerBucket
    }

    /// The slot whose tag matches `hash` and whose item `isMatch` accepts (given its offset), or nil.
    @inline(__always)
    func find(hash: UInt64, isMatch: (Int) -> Bool) -> Slot? {
        let tag = Self.tag(of: hash)
        var bucket = head(for: hash)
        while true {
            let occupied = bucket[0]
            for index in 1...Self.slotsPerBucket where occupied & (1 << UInt64(index - 1)) != 0 {
                let word = bucket[index]
                if word & 0xFFFF_0000_0000_0000 == tag {
                    let slot = Slot(bucket: bucket, index: index)
                    if isMatch(slot.itemOffset) { return slot }
                }
            }
            let next = bucket[7]
            if next == 0 { return nil }
            bucket = overflow(next)
        }
    }

    /// Points a new slot of `hash`'s chain at the item at `itemOffset` (chaining an overflow bucket
    /// if the chain is full).
    mutating func insert(hash: UInt64, itemOffset: Int) {
        var bucket = head(for: hash)
        while bucket[0] == Self.fullMask {
            if bucket[7] == 0 { bucket[7] = takeOverflowBucket() }
            bucket = overflow(bucket[7])
        }
        let index = (~bucket[0]).trailingZeroBitCount + 1
        bucket[index] = Self.slotWord(hash: hash, itemOffset: itemOffset)
        bucket[0] |= 1 << UInt64(index - 1)
    }

    /// Points `slot` at another item of the same hash (replacement, compaction).
    @inline(__always)
    func repoint(_ slot: Slot, hash: UInt64, itemOffset: Int) {
        slot.bucket[slot.index] = Self.slotWord(hash: hash, itemOffset: itemOffset)
    }

    /// Empties `slot`; an overflow bucket left empty is unlinked from `hash`'s chain and reused.
    mutating func remove(_ slot: Slot, hash: UInt64) {
        slot.bucket[slot.index] = 0
        slot.bucket[0] &= ~(1 << UInt64(slot.index - 1))
        guard slot.bucket[0] == 0 else { return }
        var previous = head(for: hash)
        while previous[7] != 0 {
            let id = previous[7]
            let bucket = overflow(id)
            if bucket == slot.bucket {
                previous[7] = bucket[7]
                bucket[7] = 0
                freeOverflow.append(Int32(id))
                return
            }
            previous = bucket
        }
    }

    /// Empties every bucket (flush).
    mutating func removeAll() {
        heads.update(repeating: 0, count: headCount * Self.wordsPerBucket)
        for chunk in overflowChunks { chunk.update(repeating: 0, count: Self.chunkBuckets * Self.wordsPerBucket) }
        freeOverflow = (1..<Int32(overflowChunks.count * Self.chunkBuckets + 1)).reversed()
    }

    private mutating func takeOverflowBucket() -> UInt64 {
        if freeOverflow.isEmpty {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkBuckets * 64, alignment: 64)
            let chunk = raw.bindMemory(to: UInt64.self, capacity: Self.chunkBuckets * Self.wordsPerBucket)
            chunk.initialize(repeating: 0, count: Self.chunkBuckets * Self.wordsPerBucket)
            let first = Int32(overflowChunks.count * Self.chunkBuckets) + 1
            overflowChunks.append(chunk)
            freeOverflow.append(contentsOf: (first..<first + Int32(Self.chunkBuckets)).reversed())
        }
        return UInt64(freeOverflow.removeLast())
    }
}
