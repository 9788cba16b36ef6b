/// The custom DMA path (dissertation §5.1): a NIC appends plain binary SET requests into a log
/// segment each partition registered, and FlexKVS adopts them in place as items.
///
/// A placed request is the 24-byte binary header, 8 bytes of extras (flags, expiry), key and value,
/// written at an offset of `itemMemory`, 8-byte aligned; the next one follows at the next multiple of
/// 8. Its first 32 bytes (header and extras) become the item header, so key and value are not
/// copied. Contract: a partition's placed requests are adopted in the order the NIC placed them; a
/// request the NIC placed but software never adopted (its queue entry was lost) becomes a dead gap
/// once a later one is adopted. Register a new segment only after adopting what the NIC put into
/// the previous one.
extension KeyValueStore {
    /// The item memory a NIC's DMA writes into (offsets the store hands out address it).
    public var itemMemory: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: pool.memory, count: pool.segmentSize * pool.segmentCount)
    }

    /// How many partitions (a power of two): the queues a key-steering NIC program steers to.
    public var partitionCount: Int { partitions.count }

    /// Gives partition `index` a fresh segment for the NIC to place SETs into and returns its range
    /// of `itemMemory` (the NIC's `log_head` and `log_end`); the previous one joins the partition's
    /// log as a full segment. Nil when the pool has no free segment (the NIC then leaves SETs to software).
    public func registerPlacementSegment(partition index: Int) -> Range<Int>? {
        let partition = partitions[index]
        return partition.lock.withLock {
            if partition.placementSegment >= 0 {
                let previous = partition.placementSegment
                partition.placementSegment = -1
                if pool.freed[previous] == pool.used[previous] { pool.give(previous) } else { partition.append(previous) }
            }
            guard let segment = pool.take() else { return nil }
            partition.placementSegment = segment
            partition.placementCursor = pool.start(of: segment)
            return pool.start(of: segment)..<(pool.start(of: segment) + pool.segmentSize)
        }
    }

    /// Adopts the SET the NIC placed at `offset` as the key's item (`hash`: the relayed key hash;
    /// `request`: the whole binary request as it arrived, CAS field aside). Nil when nothing
    /// adoptable is there: not in the hash's partition's placement segment, before an adopted one,
    /// not a plain SET's shape, or not a copy of `request` (header, extras and key differ, or
    /// `request` is not as long as its header says); nothing changes then.
    public func adoptPlacedSet(at offset: Int, hash: UInt64, request: UnsafeRawBufferPointer) -> StoreOutcome? {
        let now = clock.now
        return withPartition(for: hash, now: now) { partition -> StoreOutcome? in
            let segment = partition.placementSegment
            let gap = offset - partition.placementCursor
            guard segment >= 0, gap == 0 || gap >= ItemHeader.size, offset & 7 == 0,
                  offset + ItemHeader.size <= pool.start(of: segment) + pool.segmentSize else { return nil }
            let image = UnsafeRawBufferPointer(start: pool.memory + offset, count: ItemHeader.size)
            let header = BinaryHeader(image)
            guard image[0] == BinaryHeader.requestMagic, header.opcode == BinaryOpcode.set.rawValue, header.extrasLength == 8,
                  header.keyLength > 0, header.keyLength <= StoreConfiguration.maximumKeyLength, header.valueLength >= 0,
                  offset + BinaryHeader.size + header.bodyLength <= pool.start(of: segment) + pool.segmentSize,
                  isPlacedCopy(of: request, at: offset, header: header) else { return nil }
            partition.counters.setCommands &+= 1
            let key = UnsafeRawBufferPointer(start: pool.memory + offset + ItemHeader.size, count: header.keyLength)
            let flags = UInt32(bigEndian: image.loadUnaligned(fromByteOffset: BinaryHeader.size, as: UInt32.self))
            let expiry = clock.expiry(fromProtocol: Int64(UInt32(bigEndian: image.loadUnaligned(fromByteOffset: BinaryHeader.size + 4, as: UInt32.self))))
            skipPlacementGap(in: partition, before: offset)
            let item = pool.item(at: offset)
            item.keyLength = header.keyLength
            item.valueLength = header.valueLength
            item.isLive = false
            partition.placementCursor = offset + item.storedSize
            pool.used[segment] = partition.placementCursor - pool.start(of: segment)
            guard configuration.accepts(valueLength: header.valueLength, keyLength: header.keyLength) else {
                partition.retire(item, at: offset)
                partition.counters.storeTooLarge &+= 1
                return .tooLarge
            }
            let existing = partition.lookup(key, hash: hash, now: now)
            let cas = partition.publish(at: offset, key: key, hash: hash, flags: flags, expiry: expiry,
                                        valueLength: header.valueLength, replacing: existing)
            return .stored(cas: cas)
        }
    }

    /// True if the SET of shape `header` placed at `offset` is `request`: as long as its header
    /// says, and the same header before the CAS field, extras and key (stale bytes of a recycled
    /// segment, or a request the NIC could not copy whole, are not).
    private func isPlacedCopy(of request: UnsafeRawBufferPointer, at offset: Int, header: BinaryHeader) -> Bool {
        let casField = 16, keyEnd = ItemHeader.size + header.keyLength
        guard let requestBytes = request.baseAddress, request.count == BinaryHeader.size + header.bodyLength else { return false }
        let placed = pool.memory + offset
        return memcmp(placed, requestBytes, casField) == 0
            && memcmp(placed + BinaryHeader.size, requestBytes + BinaryHeader.size, keyEnd - BinaryHeader.size) == 0
    }

    /// Turns the bytes between the partition's placement cursor and `offset` (requests placed but
    /// never adopted) into one dead item, counted as freed.
    private func skipPlacementGap(in partition: Partition, before offset: Int) {
        let gap = offset - partition.placementCursor
        guard gap > 0 else { return }
        let filler = pool.item(at: partition.placementCursor)
        filler.keyLength = 0
        filler.valueLength = gap - ItemHeader.size
        filler.isLive = false
        pool.freed[partition.placementSegment] += gap
    }
}

#if canImport(Glibc)
import Glibc
#endif
