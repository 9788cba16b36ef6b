/// FlexKVS's store: items (key, value, 32-bit flags, expiry, CAS unique) in partitions, each with
/// its own lock, block-chain hash table and log of segments, under one memory limit.
///
/// Contract: thread-safe; each request locks only the partition its key hash selects (hash bits
/// 40...), so threads that serve their own partitions (key-based steering) never contend. Every
/// request takes the key's `KeyHash` precomputed (`hash:`), so a transport that already has it (a
/// NIC that hashed the key) does not hash again. Expiry times are relative to `clock` (convert
/// protocol times with `clock.expiry(fromProtocol:)`); expired items are never returned and their
/// memory is reclaimed lazily or by compaction. Values beyond `StoreConfiguration.maxItemSize`
/// get `tooLarge`; when no memory can be freed, `outOfMemory`.
public final class KeyValueStore: @unchecked Sendable {
    public let configuration: StoreConfiguration
    public let clock: ExpiryClock
    let pool: SegmentPool
    let partitions: [Partition]
    private let partitionMask: UInt64

    public init(configuration: StoreConfiguration = .init(), clock: ExpiryClock = ExpiryClock()) {
        self.configuration = configuration
        self.clock = clock
        let count = configuration.partitionCount
        let pool = SegmentPool(segmentSize: configuration.segmentSize, segmentCount: configuration.segmentCount)
        self.pool = pool
        // About one head slot per 96 bytes of item memory, six slots a bucket.
        var buckets = 64
        while buckets * BucketTable.slotsPerBucket * 96 * count < configuration.memoryLimit { buckets <<= 1 }
        partitions = (0..<count).map { Partition(index: $0, count: count, pool: pool, bucketCount: buckets) }
        partitionMask = UInt64(count - 1)
        for partition in partitions { partition.store = self }
    }

    @inline(__always)
    func partition(for hash: UInt64) -> Partition { partitions[Int(truncatingIfNeeded: (hash >> 40) & partitionMask)] }

    /// Runs `body` on the partition of `hash` under its lock, after a due delayed flush.
    @inline(__always)
    func withPartition<Result>(for hash: UInt64, now: UInt32, _ body: (Partition) -> Result) -> Result {
        let partition = partition(for: hash)
        return partition.lock.withLock {
            partition.applyPendingFlush(now: now)
            return body(partition)
        }
    }

    /// Reads the item under `key` (get, gets; with `newExpiry` also gat/gats, which set its expiry
    /// first): `body` sees it under the partition's lock and must copy what it needs. Nil on a miss.
    public func read<Result>(_ key: UnsafeRawBufferPointer, hash: UInt64, newExpiry: UInt32? = nil,
                             _ body: (ItemView) -> Result) -> Result? {
        let now = clock.now
        return withPartition(for: hash, now: now) { partition in
            partition.counters.getCommands &+= 1
            if newExpiry != nil { partition.counters.touchCommands &+= 1 }
            guard let (_, item) = partition.lookup(key, hash: hash, now: now) else {
                partition.counters.getMisses &+= 1
                if newExpiry != nil { partition.counters.touchMisses &+= 1 }
                return nil
            }
            if let newExpiry {
                item.expiry = newExpiry
                partition.counters.touchHits &+= 1
            }
            partition.counters.getHits &+= 1
            return body(ItemView(key: item.key, value: UnsafeRawBufferPointer(item.value), flags: item.flags, cas: item.cas))
        }
    }

    /// Stores `value` under `key` as `mode` says. A nonzero `expectedCAS` (the binary protocol's
    /// header CAS) turns set, add and replace into compare-and-swap and conditions append/prepend.
    public func store(_ mode: StoreMode, key: UnsafeRawBufferPointer, hash: UInt64, flags: UInt32, expiry: UInt32,
                      value: ValueBytes, expectedCAS: UInt64 = 0) -> StoreOutcome {
        let now = clock.now
        return withPartition(for: hash, now: now) { partition in
            partition.counters.setCommands &+= 1
            guard configuration.accepts(valueLength: value.count, keyLength: key.count) else {
                partition.counters.storeTooLarge &+= 1
                return .tooLarge
            }
            return StoreRequest(partition: partition, key: key, hash: hash, now: now)
                .run(mode, flags: flags, expiry: expiry, value: value, expectedCAS: expectedCAS)
        }
    }

    /// Deletes the item under `key` (only if its CAS unique is `expectedCAS`, when nonzero).
    public func delete(_ key: UnsafeRawBufferPointer, hash: UInt64, expectedCAS: UInt64 = 0) -> DeleteOutcome {
        let now = clock.now
        return withPartition(for: hash, now: now) { partition in
            guard let (slot, item) = partition.lookup(key, hash: hash, now: now) else {
                partition.counters.deleteMisses &+= 1
                return .notFound
            }
            if expectedCAS != 0 && expectedCAS != item.cas { return .exists }
            partition.unlink(slot, item: item)
            partition.counters.deleteHits &+= 1
            return .deleted
        }
    }

    /// Increments (wrapping at 2^64) or decrements (stopping at 0) the decimal value under `key`.
    /// A missing key gets `initial` (value and expiry; binary protocol) when given, else `notFound`.
    public func arithmetic(_ key: UnsafeRawBufferPointer, hash: UInt64, increment: Bool, delta: UInt64,
                           initial: (value: UInt64, expiry: UInt32)? = nil, expectedCAS: UInt64 = 0) -> ArithmeticOutcome {
        let now = clock.now
        return withPartition(for: hash, now: now) { partition in
            ArithmeticRequest(partition: partition, key: key, hash: hash, now: now)
                .run(increment: increment, delta: delta, initial: initial, expectedCAS: expectedCAS)
        }
    }

    /// Sets the expiry of the item under `key`; false if there is none.
    public func touch(_ key: UnsafeRawBufferPointer, hash: UInt64, expiry: UInt32) -> Bool {
        let now = clock.now
        return withPartition(for: hash, now: now) { partition in
            partition.counters.touchCommands &+= 1
            guard let (_, item) = partition.lookup(key, hash: hash, now: now) else {
                partition.counters.touchMisses &+= 1
                return false
            }
            item.expiry = expiry
            partition.counters.touchHits &+= 1
            return true
        }
    }

    /// Drops every item now (`at` 0 or in the past), or at relative time `at` (flush_all with a delay).
    public func flush(at time: UInt32 = 0) {
        let now = clock.now
        for partition in partitions {
            partition.lock.withLock {
                if time == 0 || time <= now { partition.removeAll() } else { partition.pendingFlushAt = time }
            }
        }
    }

    /// The counters of every partition, summed.
    public var counters: StoreCounters {
        var total = StoreCounters()
        for partition in partitions { partition.lock.withLock { total.add(partition.counters) } }
        return total
    }

    /// Zeroes the counters except the current items and bytes (`stats reset`).
    public func resetCounters() {
        for partition in partitions {
            partition.lock.withLock {
                var fresh = StoreCounters()
                fresh.currentItems = partition.counters.currentItems
                fresh.bytes = partition.counters.bytes
                partition.counters = fresh
            }
        }
    }

    /// Evicts another partition's oldest segment into the pool for `needy` (whose lock is held);
    /// only partitions whose lock is free are tried, so two short partitions never wait on each other.
    func stealSegment(for needy: Partition) -> Bool {
        for partition in partitions where partition !== needy && partition.lock.tryLock() {
            defer { partition.lock.unlock() }
            if partition.stealOldest() { return true }
        }
        return false
    }
}

/// What a delete did.
public enum DeleteOutcome: Sendable, Equatable {
    case deleted
    case notFound
    /// The item's CAS unique differs from the expected one (binary protocol).
    case exists
}
