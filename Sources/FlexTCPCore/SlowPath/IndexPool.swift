/// A free list of the indices `0..<capacity`, allocated once.
///
/// Contract: `take()` returns a free index or nil when all are in use; `give(_:)` returns one taken
/// earlier (giving back a free or foreign index is a programming error and traps).
struct IndexPool {
    private var free: [Int]
    private var inUse: [Bool]

    init(capacity: Int) {
        free = Array((0..<capacity).reversed())
        inUse = Array(repeating: false, count: capacity)
    }

    var availableCount: Int { free.count }

    mutating func take() -> Int? {
        guard let index = free.popLast() else { return nil }
        inUse[index] = true
        return index
    }

    mutating func give(_ index: Int) {
        precondition(inUse[index], "index given back twice")
        inUse[index] = false
        free.append(index)
    }
}
