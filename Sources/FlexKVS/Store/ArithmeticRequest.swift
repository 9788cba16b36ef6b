/// One incr/decr on a locked partition, with memcached's rules: the value must be a decimal
/// number below 2^64 (leading blanks and a '+' allowed; anything after the digits must start with a
/// blank); incr wraps, decr stops at 0; a result no longer than the value is written in place,
/// padded with spaces to the old length, a longer one becomes a new item of exactly its length.
struct ArithmeticRequest {
    let partition: Partition
    let key: UnsafeRawBufferPointer
    let hash: UInt64
    let now: UInt32

    func run(increment: Bool, delta: UInt64, initial: (value: UInt64, expiry: UInt32)?, expectedCAS: UInt64) -> ArithmeticOutcome {
        guard let (_, item) = partition.lookup(key, hash: hash, now: now) else {
            countMiss(increment)
            guard let initial else { return .notFound }
            return write(initial.value, flags: 0, expiry: initial.expiry)
        }
        if expectedCAS != 0 && expectedCAS != item.cas { return .exists }
        guard let current = Self.parse(UnsafeRawBufferPointer(item.value)) else { return .nonNumeric }
        let result = increment ? current &+ delta : (delta > current ? 0 : current - delta)
        if increment { partition.counters.incrementHits &+= 1 } else { partition.counters.decrementHits &+= 1 }
        var digits = DecimalDigits(result)
        if digits.count <= item.valueLength {
            let value = item.value
            digits.withBytes { value.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            (value.baseAddress! + digits.count).initializeMemory(as: UInt8.self, repeating: 0x20, count: value.count - digits.count)
            item.cas = partition.takeCAS()
            return .updated(value: result, cas: item.cas)
        }
        return write(result, flags: item.flags, expiry: item.expiry)
    }

    /// Stores `value` in decimal as the key's item.
    private func write(_ value: UInt64, flags: UInt32, expiry: UInt32) -> ArithmeticOutcome {
        var digits = DecimalDigits(value)
        let size = ItemHeader.storedSize(keyLength: key.count, valueLength: digits.count)
        guard let offset = partition.allocate(size) else {
            partition.counters.storeNoMemory &+= 1
            return .outOfMemory
        }
        let current = partition.lookup(key, hash: hash, now: now)
        let item = partition.pool.item(at: offset)
        item.keyLength = key.count
        item.valueLength = digits.count
        digits.withBytes { item.value.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let cas = partition.publish(at: offset, key: key, hash: hash, flags: flags, expiry: expiry,
                                    valueLength: digits.count, replacing: current)
        return .updated(value: value, cas: cas)
    }

    private func countMiss(_ increment: Bool) {
        if increment { partition.counters.incrementMisses &+= 1 } else { partition.counters.decrementMisses &+= 1 }
    }

    /// The number a stored value holds, as memcached's `safe_strtoull` reads it; nil if none.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        var index = 0
        while index < bytes.count, isBlank(bytes[index]) { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") { index += 1 }
        var value: UInt64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(UInt64(bytes[index] - 0x30))
            if overflowTimes || overflowSum { return nil }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0, index == bytes.count || isBlank(bytes[index]) else { return nil }
        return value
    }

    /// C's isspace.
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
}
