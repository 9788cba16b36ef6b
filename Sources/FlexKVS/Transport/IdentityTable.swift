/// Values by the identity of a key object (a FlexTCP service's clients by their `Connection`): an
/// open-addressing table keyed by the object's address (linear probing, a power-of-two capacity
/// kept at least twice the count, removal by backward shift), so that finding an event's client
/// costs a multiply and a compare or two — no hashing through `Hasher`, no dictionary on the
/// per-request path.
///
/// Contract: one thread; a key object is inserted at most once until removed, and removed before
/// it is freed (its address may then be reused); `value(for:)` returns what was inserted for that
/// object, or nil.
struct IdentityTable<Value: AnyObject> {
    private var keys: [UInt]
    private var values: [Value?]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 64) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: nil, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func key(_ object: AnyObject) -> UInt { UInt(bitPattern: ObjectIdentifier(object)) }

    @inline(__always)
    private func home(of key: UInt) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask }

    /// The value of `object`, or nil.
    @inline(__always)
    func value(for object: AnyObject) -> Value? {
        let key = Self.key(object)
        var index = home(of: key)
        while true {
            let found = keys[index]
            if found == key { return values[index] }
            if found == 0 { return nil }
            index = (index &+ 1) & mask
        }
    }

    /// Adds `value` for `object` (not in the table).
    mutating func insert(_ value: Value, for object: AnyObject) {
        if 2 * (count + 1) > keys.count { grow() }
        place(Self.key(object), value)
        count += 1
    }

    /// Removes and returns the value of `object`, or nil if there is none.
    @discardableResult
    mutating func remove(_ object: AnyObject) -> Value? {
        let key = Self.key(object)
        var index = home(of: key)
        while keys[index] != key {
            if keys[index] == 0 { return nil }
            index = (index &+ 1) & mask
        }
        let removed = values[index]
        keys[index] = 0
        values[index] = nil
        count -= 1
        // Backward shift: move later entries of the run into the hole when their home allows it.
        var hole = index
        var next = (index &+ 1) & mask
        while keys[next] != 0 {
            let home = home(of: keys[next])
            if (next &- home) & mask >= (next &- hole) & mask {
                keys[hole] = keys[next]
                values[hole] = values[next]
                keys[next] = 0
                values[next] = nil
                hole = next
            }
            next = (next &+ 1) & mask
        }
        return removed
    }

    private mutating func place(_ key: UInt, _ value: Value) {
        var index = home(of: key)
        while keys[index] != 0 { index = (index &+ 1) & mask }
        keys[index] = key
        values[index] = value
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = Array(repeating: 0, count: 2 * oldKeys.count)
        values = Array(repeating: nil, count: 2 * oldKeys.count)
        mask = keys.count - 1
        for (key, value) in zip(oldKeys, oldValues) where key != 0 { place(key, value!) }
    }
}
