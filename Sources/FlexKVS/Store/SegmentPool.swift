#if canImport(Glibc)
import Glibc
#endif

/// The item memory: one reservation of `segmentCount` fixed-size segments and the shared pool of
/// free ones. Partitions take segments (`take`), fill them as logs, and give them back (`give`)
/// when they are compacted or evicted.
///
/// Contract: the free list is guarded by the pool's own lock; everything else about a segment
/// (its fill, freed bytes, place in the owner's age list) belongs to the partition that took it
/// and is only touched under that partition's lock. Item references are byte offsets into the
/// reservation, so they stay valid while a segment moves between owners.
final class SegmentPool: @unchecked Sendable {
    let segmentSize: Int
    let segmentCount: Int
    let memory: UnsafeMutableRawPointer
    /// Per segment: bytes written (the log's head).
    let used: UnsafeMutablePointer<Int>
    /// Per segment: bytes of items that were replaced, deleted or found expired.
    let freed: UnsafeMutablePointer<Int>
    /// Per segment: neighbours in its owner's age list (-1: none).
    let older: UnsafeMutablePointer<Int32>
    let newer: UnsafeMutablePointer<Int32>
    private var free: [Int32]
    private let lock = PartitionLock()

    init(segmentSize: Int, segmentCount: Int) {
        self.segmentSize = segmentSize
        self.segmentCount = segmentCount
        // Reserved, not committed: pages are backed as the logs first write them.
        let mapped = mmap(nil, segmentSize * segmentCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { fatalError("FlexKVS: cannot reserve \(segmentSize * segmentCount) bytes of item memory") }
        memory = mapped
        used = .allocate(capacity: segmentCount)
        used.initialize(repeating: 0, count: segmentCount)
        freed = .allocate(capacity: segmentCount)
        freed.initialize(repeating: 0, count: segmentCount)
        older = .allocate(capacity: segmentCount)
        older.initialize(repeating: -1, count: segmentCount)
        newer = .allocate(capacity: segmentCount)
        newer.initialize(repeating: -1, count: segmentCount)
        free = (0..<Int32(segmentCount)).reversed()
    }

    deinit {
        munmap(memory, segmentSize * segmentCount)
        used.deallocate()
        freed.deallocate()
        older.deallocate()
        newer.deallocate()
    }

    /// A free segment, emptied, or nil when every segment is in use.
    func take() -> Int? {
        guard let segment = lock.withLock({ free.popLast() }) else { return nil }
        let index = Int(segment)
        used[index] = 0
        freed[index] = 0
        older[index] = -1
        newer[index] = -1
        return index
    }

    /// Returns a segment nobody references any more to the pool.
    func give(_ segment: Int) {
        lock.withLock { free.append(Int32(segment)) }
    }

    /// Free segments now.
    var freeCount: Int { lock.withLock { free.count } }

    /// The item at byte offset `offset` of the reservation.
    @inline(__always)
    func item(at offset: Int) -> ItemHeader { ItemHeader(base: memory + offset) }

    /// The segment holding byte offset `offset`.
    @inline(__always)
    func segment(of offset: Int) -> Int { offset / segmentSize }

    /// The byte offset where `segment` starts.
    @inline(__always)
    func start(of segment: Int) -> Int { segment * segmentSize }
}
