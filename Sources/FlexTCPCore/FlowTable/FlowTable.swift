/// Why `FlowTable.insert(_:for:)` refused an entry; the table is unchanged.
package enum FlowTableError: Error, Equatable, Sendable {
    /// The key is already in the table.
    case duplicateKey
    /// The table holds `capacity` entries.
    case tableFull
    /// Placing the entry would move some entry `probeLimit` or more slots from its home slot.
    case probeLimitReached
    /// `FlowIndex.max` is reserved to mark empty slots.
    case reservedFlowIndex
}

/// The fast path's map from a TCP 4-tuple to its flow index: open addressing with Robin Hood
/// linear probing over one preallocated array of 16-byte slots, at most half full, hashed with a
/// secret-keyed `FlowKeyHasher`.
///
/// Contract: `lookup` reads at most `probeLimit` consecutive slots and allocates nothing; insert
/// refuses duplicates, a full table and placements beyond the probe limit with a typed error and
/// leaves the table unchanged; remove shifts the following entries back (no tombstones), so churn
/// does not lengthen probes. Insert and remove rehash the entries they move (slow-path work).
/// Storage is allocated in `init` and freed when the value is destroyed. Not thread-safe: the slow
/// path's inserts and removes must reach the table on the fast path's thread (or while it is stopped).
package struct FlowTable: ~Copyable, @unchecked Sendable {
    /// The most slots a lookup reads; no entry sits `probeLimit` or more slots past its home slot.
    package static let probeLimit = 32

    /// The most entries the table accepts.
    package let capacity: Int
    /// Entries currently in the table.
    package private(set) var count = 0

    @usableFromInline let hasher: FlowKeyHasher
    @usableFromInline let entries: UnsafeMutablePointer<FlowTableEntry>
    /// Slot count − 1; the slot count is a power of two of at least twice the capacity.
    @usableFromInline let slotMask: Int
    /// The largest displacement any entry has had since `init`: lookups stop after this many
    /// slots past the home slot. Never above `probeLimit − 1`.
    @usableFromInline private(set) var longestDisplacement = 0

    /// A table for up to `capacity` flows. `hasher` defaults to a fresh random key.
    package init(capacity: Int, hasher: FlowKeyHasher = .random()) {
        precondition(capacity > 0 && capacity <= 1 << 30, "flow table capacity out of range")
        self.capacity = capacity
        self.hasher = hasher
        let slotCount = 1 << (Int.bitWidth - (2 * capacity - 1).leadingZeroBitCount)
        slotMask = slotCount - 1
        entries = .allocate(capacity: slotCount)
        entries.initialize(repeating: .empty, count: slotCount)
    }

    deinit { entries.deallocate() }

    /// The flow index stored for `key`, or nil.
    @inlinable @inline(__always)
    package func lookup(_ key: FlowKey) -> FlowIndex? {
        guard let slot = slot(of: key) else { return nil }
        return entries[slot].flow
    }

    /// Maps `key` to `flow`, or throws (leaving the table unchanged).
    package mutating func insert(_ flow: FlowIndex, for key: FlowKey) throws(FlowTableError) {
        guard flow != FlowTableEntry.emptyFlow else { throw .reservedFlowIndex }
        guard slot(of: key) == nil else { throw .duplicateKey }
        guard count < capacity else { throw .tableFull }

        // The new entry goes before the first entry that is closer to its own home slot (Robin
        // Hood order: each run stays sorted by home slot); that entry and the rest of its run
        // move one slot on, into the next empty slot.
        var position = homeSlot(of: key)
        var displacement = 0
        while !entries[position].isEmpty && self.displacement(ofEntryAt: position) >= displacement {
            displacement += 1
            guard displacement < Self.probeLimit else { throw .probeLimitReached }
            position = (position + 1) & slotMask
        }
        var longest = max(longestDisplacement, displacement)
        var runEnd = position
        while !entries[runEnd].isEmpty {
            let moved = self.displacement(ofEntryAt: runEnd) + 1
            guard moved < Self.probeLimit else { throw .probeLimitReached }
            longest = max(longest, moved)
            runEnd = (runEnd + 1) & slotMask
        }
        while runEnd != position {
            let previous = (runEnd - 1) & slotMask
            entries[runEnd] = entries[previous]
            runEnd = previous
        }
        entries[position] = FlowTableEntry(addressWord: key.addressWord, portWord: key.portWord, flow: flow)
        longestDisplacement = longest
        count += 1
    }

    /// Removes `key`; returns the flow index it mapped to, or nil when absent.
    @discardableResult
    package mutating func remove(_ key: FlowKey) -> FlowIndex? {
        guard var hole = slot(of: key) else { return nil }
        let flow = entries[hole].flow
        // Backward-shift: pull the rest of the run one slot closer to home until an empty slot or
        // an entry already in its home slot.
        var next = (hole + 1) & slotMask
        while !entries[next].isEmpty && displacement(ofEntryAt: next) > 0 {
            entries[hole] = entries[next]
            hole = next
            next = (next + 1) & slotMask
        }
        entries[hole] = .empty
        count -= 1
        return flow
    }

    /// How many slots past its home slot `key`'s entry sits; nil when absent.
    func displacement(of key: FlowKey) -> Int? {
        slot(of: key).map { ($0 - homeSlot(of: key)) & slotMask }
    }

    @inlinable
    func homeSlot(of key: FlowKey) -> Int {
        Int(truncatingIfNeeded: hasher.hash(key)) & slotMask
    }

    /// The slot holding `key`: probes from its home slot until the key, an empty slot, or the
    /// longest displacement in the table. Always inlined: the fast path's lookup per segment.
    @inlinable @inline(__always)
    func slot(of key: FlowKey) -> Int? {
        var position = homeSlot(of: key)
        var slotsLeft = longestDisplacement
        while true {
            let entry = entries[position]
            if entry.isEmpty { return nil }
            if entry.holds(key) { return position }
            guard slotsLeft > 0 else { return nil }
            slotsLeft &-= 1
            position = (position &+ 1) & slotMask
        }
    }

    private func displacement(ofEntryAt position: Int) -> Int {
        (position - homeSlot(of: entries[position].key)) & slotMask
    }
}
