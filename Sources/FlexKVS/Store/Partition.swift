/// One independently locked part of the key space: its hash table, its log of segments (an active
/// one being filled, the full ones in age order) and its counters.
///
/// Contract: every method is called with `lock` held (the store takes it), except `stealOldest`,
/// which another partition calls after `lock.tryLock()` succeeded. Items are appended to the active
/// segment; replacing or deleting one marks its bytes freed; a segment whose bytes are all freed
/// goes back to the pool at once; when the pool is empty the oldest segment is compacted in place
/// (if enough of it is dead) or evicted (`Partition+Reclaim`).
final class Partition: @unchecked Sendable {
    let lock = PartitionLock()
    let pool: SegmentPool
    var table: BucketTable
    var counters = StoreCounters()
    /// The segment new items go to (-1: none yet).
    var active = -1
    /// Full segments, oldest first, linked through the pool's `older`/`newer` (-1: none).
    var oldest = -1
    var newest = -1
    /// The next CAS unique: partition index + 1, stepping by the partition count (unique store-wide).
    var nextCAS: UInt64
    let casStep: UInt64
    /// The segment a NIC appends this partition's SETs to (`KeyValueStore+Placement`; -1: none), and
    /// the offset where the next item placed there is expected.
    var placementSegment = -1
    var placementCursor = 0
    /// A delayed `flush_all`: at this relative time every item goes (0: none pending).
    var pendingFlushAt: UInt32 = 0
    /// Times `reclaimOldest` ran (items of this partition may have moved or gone since a lookup
    /// if it changed).
    var reclaims: UInt64 = 0
    /// The other partitions, to take a segment from when this one has none to reclaim.
    unowned(unsafe) var store: KeyValueStore?

    init(index: Int, count: Int, pool: SegmentPool, bucketCount: Int) {
        self.pool = pool
        table = BucketTable(headCount: bucketCount)
        nextCAS = UInt64(index) + 1
        casStep = UInt64(count)
    }

    deinit { table.deallocate() }

    /// A fresh CAS unique.
    func takeCAS() -> UInt64 {
        defer { nextCAS &+= casStep }
        return nextCAS
    }

    /// Applies a pending delayed flush whose time has come.
    func applyPendingFlush(now: UInt32) {
        if pendingFlushAt != 0 && now >= pendingFlushAt { removeAll() }
    }

    /// The live, unexpired item under `key`, or nil. An expired item found is unlinked (lazy expiry).
    func lookup(_ key: UnsafeRawBufferPointer, hash: UInt64, now: UInt32) -> (BucketTable.Slot, ItemHeader)? {
        guard let slot = table.find(hash: hash, isMatch: { pool.item(at: $0).matches(key) }) else { return nil }
        let item = pool.item(at: slot.itemOffset)
        guard !item.hasExpired(at: now) else {
            unlink(slot, item: item)
            counters.reclaimed &+= 1
            return nil
        }
        return (slot, item)
    }

    /// Takes an item out of the table and marks its bytes freed.
    func unlink(_ slot: BucketTable.Slot, item: ItemHeader) {
        let offset = slot.itemOffset
        table.remove(slot, hash: item.hash)
        retire(item, at: offset)
    }

    /// Marks a no-longer-referenced item's bytes freed; a full segment left with nothing live returns to the pool.
    func retire(_ item: ItemHeader, at offset: Int) {
        if item.isLive {
            item.isLive = false
            counters.currentItems &-= 1
            counters.bytes &-= Self.accountedBytes(item)
        }
        let segment = pool.segment(of: offset)
        pool.freed[segment] += item.storedSize
        if segment != active && segment != placementSegment && pool.freed[segment] == pool.used[segment] {
            detach(segment)
            pool.give(segment)
        }
    }

    /// Writes a new item into memory from `allocate` and makes it the key's item (replacing the
    /// live one in `existing`, if any). Returns its CAS unique.
    func publish(at offset: Int, key: UnsafeRawBufferPointer, hash: UInt64, flags: UInt32, expiry: UInt32,
                 valueLength: Int, replacing existing: (BucketTable.Slot, ItemHeader)?) -> UInt64 {
        let item = pool.item(at: offset)
        item.cas = takeCAS()
        item.hash = hash
        item.expiry = expiry
        item.flags = flags
        item.valueLength = valueLength
        item.keyLength = key.count
        item.isLive = true
        let keyDestination = item.base + ItemHeader.size
        // A placed item's key is already in place (`KeyValueStore+Placement`).
        if UnsafeRawPointer(keyDestination) != key.baseAddress! { keyDestination.copyMemory(from: key.baseAddress!, byteCount: key.count) }
        if let (slot, old) = existing {
            let oldOffset = slot.itemOffset
            table.repoint(slot, hash: hash, itemOffset: offset)
            retire(old, at: oldOffset)
        } else {
            table.insert(hash: hash, itemOffset: offset)
        }
        counters.currentItems &+= 1
        counters.totalItems &+= 1
        counters.bytes &+= Self.accountedBytes(item)
        return item.cas
    }

    /// Memory for an item of `size` bytes in the active segment, reclaiming when needed; nil when
    /// nothing can be freed. May move or evict other items of this partition (look them up again).
    func allocate(_ size: Int) -> Int? {
        if active >= 0 && pool.used[active] + size <= pool.segmentSize {
            return bump(size)
        }
        guard startNewActiveSegment(room: size) else { return nil }
        return bump(size)
    }

    private func bump(_ size: Int) -> Int {
        let offset = pool.start(of: active) + pool.used[active]
        pool.used[active] += size
        return offset
    }

    /// Retires the active segment to the age list and makes a segment with `room` free bytes active:
    /// one from the pool, else this partition's oldest compacted or evicted, else one taken from another partition.
    private func startNewActiveSegment(room: Int) -> Bool {
        if active >= 0 {
            let full = active
            active = -1
            if pool.freed[full] == pool.used[full] { pool.give(full) } else { append(full) }
        }
        if let segment = pool.take() {
            active = segment
            return true
        }
        if oldest >= 0 {
            active = reclaimOldest(room: room)
            return true
        }
        guard let store, store.stealSegment(for: self), let segment = pool.take() else { return false }
        active = segment
        return true
    }

    /// Appends a full segment to the age list as the newest.
    func append(_ segment: Int) {
        pool.older[segment] = Int32(newest)
        pool.newer[segment] = -1
        if newest >= 0 { pool.newer[newest] = Int32(segment) } else { oldest = segment }
        newest = segment
    }

    /// Takes a segment out of the age list.
    func detach(_ segment: Int) {
        let before = Int(pool.older[segment])
        let after = Int(pool.newer[segment])
        if before >= 0 { pool.newer[before] = Int32(after) } else { oldest = after }
        if after >= 0 { pool.older[after] = Int32(before) } else { newest = before }
        pool.older[segment] = -1
        pool.newer[segment] = -1
    }

    /// Drops every item and returns every segment to the pool (flush_all).
    func removeAll() {
        table.removeAll()
        // The NIC may still write into its segment: it stays, its items count as freed.
        if placementSegment >= 0 { pool.freed[placementSegment] = pool.used[placementSegment] }
        if active >= 0 { pool.give(active) }
        active = -1
        while oldest >= 0 {
            let segment = oldest
            detach(segment)
            pool.give(segment)
        }
        counters.currentItems = 0
        counters.bytes = 0
        pendingFlushAt = 0
    }

    /// memcached's size accounting of an item (what `bytes` and the item size limit count).
    static func accountedBytes(_ item: ItemHeader) -> UInt64 {
        UInt64(item.keyLength + item.valueLength + StoreConfiguration.memcachedItemOverhead)
    }
}
