/// A binary min-heap of (time, key) entries: the slow path's schedules (connection timers by flow,
/// SYN-ACK retransmissions by 4-tuple, congestion-control steps by flow).
///
/// Contract: `push` and `popDue` cost O(log n); `popDue(now:)` returns the earliest entry due by
/// `now`, or nil. Entries are never removed early: owners recognise stale ones by their time (an
/// entry is live only while its owner still expects a wake-up at exactly that time).
struct DeadlineHeap<Key> {
    private var entries: [(time: UInt64, key: Key)] = []

    var earliest: UInt64? { entries.first?.time }

    /// Entries held, stale ones included.
    var count: Int { entries.count }

    mutating func push(_ time: UInt64, key: Key) {
        entries.append((time, key))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].time < entries[parent].time else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popDue(now: UInt64) -> (time: UInt64, key: Key)? {
        guard let first = entries.first, first.time <= now else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { break }
            let right = left + 1
            let child = right < entries.count && entries[right].time < entries[left].time ? right : left
            guard entries[child].time < entries[parent].time else { break }
            entries.swapAt(child, parent)
            parent = child
        }
        return first
    }
}
