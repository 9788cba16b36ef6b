/// The fixed entry layout of match-table memory: 16 words per entry.
enum TableLayout {
    static let entryWords = 16
    static let stateWord = 0, actionWord = 1, priorityWord = 2, keyWord = 3, qualifierWord = 7, parameterWord = 11
    static let empty: UInt64 = 0, used: UInt64 = 1, deleted: UInt64 = 2

    /// How many qualifier words an entry of this kind has.
    static func qualifierCount(_ kind: MatchKind, keys: Int) -> Int {
        switch kind {
        case .exact: 0
        case .ternary, .range: keys
        case .longestPrefix: 1
        }
    }
}

/// Why the control plane could not change a table.
public enum TableUpdateError: Error, Equatable, Sendable {
    case unknownTable(String)
    case unknownAction(String)
    case wrongShape(String)
    case full(String)
    case noSuchEntry(String)
}

/// One match table's memory: preallocated entries the data path searches and the control plane edits.
///
/// Exact tables hash the key into open addressing with linear probing (capacity twice the size, a
/// power of two); the other kinds keep entries in priority order (longest prefix first) and take the
/// first match, as a TCAM would. Lookups never allocate. Edits and lookups run on one thread (see
/// `NICControlPlane`).
final class MatchTable {
    let name: String
    let kind: MatchKind
    let keyCount: Int
    /// Bit widths of the keys (longest-prefix match counts prefix bits of the key's width).
    let keyBits: [Int]
    let size: Int
    let capacity: Int
    let entries: UnsafeMutablePointer<UInt64>
    /// Non-exact kinds: entry indices in match order.
    let order: UnsafeMutablePointer<Int32>
    private(set) var count = 0

    init(name: String, kind: MatchKind, keyBits: [Int], size: Int) {
        self.name = name
        self.kind = kind
        self.keyCount = keyBits.count
        self.keyBits = keyBits
        self.size = size
        var capacity = 1
        while capacity < size * 2 { capacity <<= 1 }
        self.capacity = kind == .exact ? capacity : size
        entries = .allocate(capacity: self.capacity * TableLayout.entryWords)
        entries.initialize(repeating: 0, count: self.capacity * TableLayout.entryWords)
        order = .allocate(capacity: max(size, 1))
        order.initialize(repeating: 0, count: max(size, 1))
    }

    deinit {
        entries.deallocate()
        order.deallocate()
    }

    /// The home slot of an exact key.
    @inline(__always)
    private func home(_ key: UnsafePointer<UInt64>) -> Int {
        var hash = Self.hashSeed
        for index in 0..<keyCount { hash = Self.mix(hash, key[index]) }
        return Int(truncatingIfNeeded: hash) & (capacity - 1)
    }

    private static let hashSeed: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// One key word folded into the running hash of `home`.
    @inline(__always)
    private static func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let product = (hash ^ word) &* 0xBF58_476D_1CE4_E5B9
        return product ^ (product &>> 31)
    }

    /// Linear probing from `home` in an exact table: the first used entry `isMatch` accepts, or -1 at
    /// an empty entry (or after every entry).
    @inline(__always)
    private func probe(from home: Int, _ isMatch: (UnsafeMutablePointer<UInt64>) -> Bool) -> Int {
        var index = home
        var remaining = capacity
        while remaining > 0 {
            let entry = entries + index &* TableLayout.entryWords
            let state = entry[TableLayout.stateWord]
            if state == TableLayout.empty { return -1 }
            if state == TableLayout.used && isMatch(entry) { return index }
            index = (index &+ 1) & (capacity &- 1)
            remaining &-= 1
        }
        return -1
    }

    /// The entry matching the key read from `values` at `keySlots`, or -1.
    @inline(__always)
    func lookup(values: UnsafeMutablePointer<UInt64>, keySlots: (Int32, Int32, Int32, Int32)) -> Int {
        if kind == .exact && keyCount == 1 {
            // The common single-key exact match, without gathering the key.
            let word = values[Int(keySlots.0)]
            return probe(from: Int(truncatingIfNeeded: Self.mix(Self.hashSeed, word)) & (capacity &- 1)) {
                $0[TableLayout.keyWord] == word
            }
        }
        var key: (UInt64, UInt64, UInt64, UInt64) = (values[Int(keySlots.0)], 0, 0, 0)
        if keyCount > 1 { key.1 = values[Int(keySlots.1)] }
        if keyCount > 2 { key.2 = values[Int(keySlots.2)] }
        if keyCount > 3 { key.3 = values[Int(keySlots.3)] }
        return withUnsafePointer(to: &key) { tuple in
            tuple.withMemoryRebound(to: UInt64.self, capacity: 4) { lookup(key: $0) }
        }
    }

    /// The entry matching `key` (`keyCount` words), or -1.
    func lookup(key: UnsafePointer<UInt64>) -> Int {
        if kind == .exact { return probe(from: home(key)) { keyEquals($0, key) } }
        for position in 0..<count {
            let index = Int(order[position])
            if matches(entries + index * TableLayout.entryWords, key) { return index }
        }
        return -1
    }

    @inline(__always)
    private func keyEquals(_ entry: UnsafeMutablePointer<UInt64>, _ key: UnsafePointer<UInt64>) -> Bool {
        for index in 0..<keyCount where entry[TableLayout.keyWord + index] != key[index] { return false }
        return true
    }

    @inline(__always)
    private func matches(_ entry: UnsafeMutablePointer<UInt64>, _ key: UnsafePointer<UInt64>) -> Bool {
        switch kind {
        case .exact:
            return keyEquals(entry, key)
        case .ternary:
            for index in 0..<keyCount {
                let mask = entry[TableLayout.qualifierWord + index]
                if key[index] & mask != entry[TableLayout.keyWord + index] & mask { return false }
            }
            return true
        case .range:
            for index in 0..<keyCount {
                let value = key[index]
                if value < entry[TableLayout.keyWord + index] || value > entry[TableLayout.qualifierWord + index] { return false }
            }
            return true
        case .longestPrefix:
            let prefix = Int(entry[TableLayout.qualifierWord])
            let width = keyBits[0]
            guard prefix > 0 else { return true }
            let shift = UInt64(width - prefix)
            return key[0] >> shift == entry[TableLayout.keyWord] >> shift
        }
    }

    /// The action index and parameter words of entry `index`.
    @inline(__always)
    func entry(_ index: Int) -> UnsafeMutablePointer<UInt64> { entries + index * TableLayout.entryWords }

    /// Adds or replaces the entry with this key (and qualifier).
    func insert(key: [UInt64], qualifier: [UInt64], priority: Int, action: Int, parameters: [UInt64]) throws(TableUpdateError) {
        guard key.count == keyCount, qualifier.count == TableLayout.qualifierCount(kind, keys: keyCount), parameters.count <= 4 else {
            throw .wrongShape(name)
        }
        if kind == .longestPrefix, qualifier[0] > UInt64(keyBits[0]) { throw .wrongShape(name) }
        let existing = find(key: key, qualifier: qualifier)
        let index: Int
        if existing >= 0 {
            index = existing
        } else {
            guard count < size else { throw .full(name) }
            index = freeIndex(for: key)
            count += 1
        }
        let entry = self.entry(index)
        entry[TableLayout.stateWord] = TableLayout.used
        entry[TableLayout.actionWord] = UInt64(action)
        entry[TableLayout.priorityWord] = UInt64(bitPattern: Int64(kind == .longestPrefix ? Int(qualifier[0]) : priority))
        for position in 0..<keyCount { entry[TableLayout.keyWord + position] = key[position] }
        for (position, word) in qualifier.enumerated() { entry[TableLayout.qualifierWord + position] = word }
        for position in 0..<4 { entry[TableLayout.parameterWord + position] = position < parameters.count ? parameters[position] : 0 }
        if kind != .exact { rebuildOrder() }
    }

    /// Removes the entry with this key (and qualifier).
    func remove(key: [UInt64], qualifier: [UInt64]) throws(TableUpdateError) {
        let index = find(key: key, qualifier: qualifier)
        guard index >= 0 else { throw .noSuchEntry(name) }
        entry(index)[TableLayout.stateWord] = kind == .exact ? TableLayout.deleted : TableLayout.empty
        count -= 1
        if kind != .exact { rebuildOrder() }
    }

    private func find(key: [UInt64], qualifier: [UInt64]) -> Int {
        for index in 0..<capacity {
            let entry = self.entry(index)
            guard entry[TableLayout.stateWord] == TableLayout.used,
                  (0..<keyCount).allSatisfy({ entry[TableLayout.keyWord + $0] == key[$0] }),
                  qualifier.indices.allSatisfy({ entry[TableLayout.qualifierWord + $0] == qualifier[$0] }) else { continue }
            return index
        }
        return -1
    }

    private func freeIndex(for key: [UInt64]) -> Int {
        var index = kind == .exact ? key.withUnsafeBufferPointer { home($0.baseAddress!) } : 0
        while entry(index)[TableLayout.stateWord] == TableLayout.used { index = (index + 1) % capacity }
        return index
    }

    private func rebuildOrder() {
        let used = (0..<capacity).filter { entry($0)[TableLayout.stateWord] == TableLayout.used }
        let sorted = used.sorted { Int64(bitPattern: entry($0)[TableLayout.priorityWord]) > Int64(bitPattern: entry($1)[TableLayout.priorityWord]) }
        for (position, index) in sorted.enumerated() { order[position] = Int32(index) }
    }
}
