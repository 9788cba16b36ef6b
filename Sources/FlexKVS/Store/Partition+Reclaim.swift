extension Partition {
    /// Frees this partition's oldest segment for reuse and returns it, empty but for the live items
    /// compaction kept: expired items are dropped; if the live ones fill at most three quarters of
    /// the segment and leave `room` bytes, they slide to its start (compaction in place: each moves
    /// only towards lower addresses, so none is overwritten before it moved); otherwise they are
    /// evicted (memcached `-m`: the oldest go first).
    func reclaimOldest(room: Int) -> Int {
        reclaims &+= 1
        let segment = oldest
        detach(segment)
        let now = store?.clock.now ?? 0
        var liveBytes = 0
        forEachItem(in: segment) { item, offset in
            guard item.isLive else { return }
            if item.hasExpired(at: now) {
                unlinkStored(item, at: offset)
                counters.reclaimed &+= 1
            } else {
                liveBytes += item.storedSize
            }
        }
        if liveBytes <= pool.segmentSize * 3 / 4 && liveBytes + room <= pool.segmentSize {
            compact(segment)
        } else {
            forEachItem(in: segment) { item, offset in
                guard item.isLive else { return }
                unlinkStored(item, at: offset)
                counters.evictions &+= 1
            }
            pool.used[segment] = 0
            pool.freed[segment] = 0
        }
        return segment
    }

    /// Evicts the oldest full segment of this partition into the pool for another partition
    /// (called by that partition holding this one's lock through `tryLock`); false if there is none.
    func stealOldest() -> Bool {
        guard oldest >= 0 else { return false }
        let segment = oldest
        // Everything in it goes: no compaction, the segment leaves this partition.
        forEachItem(in: segment) { item, offset in
            guard item.isLive else { return }
            unlinkStored(item, at: offset)
            counters.evictions &+= 1
        }
        detach(segment)
        pool.give(segment)
        return true
    }

    /// Slides the live items of `segment` to its start, repointing their slots.
    private func compact(_ segment: Int) {
        var write = pool.start(of: segment)
        forEachItem(in: segment) { item, offset in
            guard item.isLive else { return }
            let size = item.storedSize
            let hash = item.hash
            guard let slot = table.find(hash: hash, isMatch: { $0 == offset }) else {
                preconditionFailure("FlexKVS: a live item is missing from its bucket")
            }
            if write != offset { (pool.memory + write).copyMemory(from: item.base, byteCount: size) }
            table.repoint(slot, hash: hash, itemOffset: write)
            write += size
        }
        pool.used[segment] = write - pool.start(of: segment)
        pool.freed[segment] = 0
        counters.compactions &+= 1
    }

    /// Takes a live item of a segment being reclaimed out of the table (its bytes go with the segment).
    private func unlinkStored(_ item: ItemHeader, at offset: Int) {
        guard let slot = table.find(hash: item.hash, isMatch: { $0 == offset }) else {
            preconditionFailure("FlexKVS: a live item is missing from its bucket")
        }
        table.remove(slot, hash: item.hash)
        item.isLive = false
        counters.currentItems &-= 1
        counters.bytes &-= Self.accountedBytes(item)
    }

    /// Calls `body` with each item of `segment` in log order (live and dead) and its offset.
    func forEachItem(in segment: Int, _ body: (ItemHeader, Int) -> Void) {
        let start = pool.start(of: segment)
        let end = start + pool.used[segment]
        var offset = start
        while offset < end {
            let item = pool.item(at: offset)
            let size = item.storedSize
            body(item, offset)
            offset += size
        }
    }
}
