/// A binary min-heap of (time, flow) entries: the congestion loop's schedule.
///
/// Contract: `push` and `popDue` cost O(log n); `popDue(now:)` returns the earliest entry due by
/// `now`, or nil. Entries are never removed early: owners recognise stale ones by their time.
struct DeadlineHeap {
    private var entries: [(time: UInt64, flow: FlowIndex)] = []

    var earliest: UInt64? { entries.first?.time }

    mutating func push(_ time: UInt64, flow: FlowIndex) {
        entries.append((time, flow))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].time < entries[parent].time else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popDue(now: UInt64) -> (time: UInt64, flow: FlowIndex)? {
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
