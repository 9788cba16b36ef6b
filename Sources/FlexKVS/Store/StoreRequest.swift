/// One store request (set/add/replace/append/prepend/cas) on a locked partition.
struct StoreRequest {
    let partition: Partition
    let key: UnsafeRawBufferPointer
    let hash: UInt64
    let now: UInt32

    func run(_ requested: StoreMode, flags: UInt32, expiry: UInt32, value: ValueBytes, expectedCAS: UInt64) -> StoreOutcome {
        var mode = requested
        if expectedCAS != 0, mode == .set || mode == .add || mode == .replace { mode = .compareAndSwap(expectedCAS) }
        let existing = partition.lookup(key, hash: hash, now: now)
        switch mode {
        case .add where existing != nil:
            return .notStored
        case .replace where existing == nil, .append where existing == nil, .prepend where existing == nil:
            return .notStored
        case .append where expectedCAS != 0 && existing?.1.cas != expectedCAS,
             .prepend where expectedCAS != 0 && existing?.1.cas != expectedCAS:
            return .exists
        case .compareAndSwap(let cas):
            guard let (_, item) = existing else {
                partition.counters.casMisses &+= 1
                return .notFound
            }
            guard item.cas == cas else {
                partition.counters.casBadValue &+= 1
                return .exists
            }
            partition.counters.casHits &+= 1
        default:
            break
        }
        let joins = mode == .append || mode == .prepend
        let oldLength = joins ? existing!.1.valueLength : 0
        let length = oldLength + value.count
        guard !joins || partition.store!.configuration.accepts(valueLength: length, keyLength: key.count) else {
            return .notStored
        }
        let size = ItemHeader.storedSize(keyLength: key.count, valueLength: length)
        let reclaims = partition.reclaims
        guard let offset = partition.allocate(size) else {
            partition.counters.storeNoMemory &+= 1
            return .outOfMemory
        }
        // Reclaiming memory may have moved or evicted the existing item: then find it again.
        let current = partition.reclaims == reclaims ? existing : partition.lookup(key, hash: hash, now: now)
        let item = partition.pool.item(at: offset)
        item.keyLength = key.count
        item.valueLength = length
        item.isLive = false
        if joins {
            guard let (_, old) = current else {
                partition.retire(item, at: offset)
                return .notStored
            }
            let destination = UnsafeMutableRawPointer(item.value.baseAddress!)
            let oldValue = UnsafeRawPointer(old.value.baseAddress!)
            if mode == .append {
                destination.copyMemory(from: oldValue, byteCount: oldLength)
                value.copy(to: destination + oldLength)
            } else {
                value.copy(to: destination)
                (destination + value.count).copyMemory(from: oldValue, byteCount: oldLength)
            }
            let cas = partition.publish(at: offset, key: key, hash: hash, flags: old.flags, expiry: old.expiry,
                                        valueLength: length, replacing: current)
            return .stored(cas: cas)
        }
        if length > 0 { value.copy(to: UnsafeMutableRawPointer(item.value.baseAddress!)) }
        let cas = partition.publish(at: offset, key: key, hash: hash, flags: flags, expiry: expiry,
                                    valueLength: length, replacing: current)
        return .stored(cas: cas)
    }
}
