import FlexWire

/// The out-of-order intervals one flow holds in its receive ring beyond RCV.NXT: at most
/// `capacity`, disjoint and never touching (touching or overlapping ones are merged), kept most
/// recently changed first — the order RFC 2018 §4 asks SACK blocks to be reported in.
///
/// It lives in a side array indexed by flow (`FastPath.outOfOrder`), allocated once (64 bytes a
/// flow): the intervals do not fit in `FlowState`'s 128 bytes. How many entries are valid is `FlowState.outOfOrderCount`
/// (passed in as `count`), so a flow without a gap never touches this memory.
///
/// Contract: every operation is constant time (at most `capacity`² comparisons), allocates nothing,
/// and keeps the invariants above for the `count` first entries; sequence comparisons are modulo 2³²
/// within one receive window.
@usableFromInline
struct OutOfOrderIntervals {
    /// The most intervals a flow holds.
    /// Eight, not four: a sender with a window of a few hundred segments at 1% loss has five holes
    /// open often enough, and once the intervals are full every later segment of that flight is
    /// dropped too (it touches no interval) — 44 of 7,000 segments of a 10 MB Linux transfer were.
    @usableFromInline static let capacity = 8

    /// Starts and ends (exclusive) of the intervals, entry 0 the most recently changed.
    @usableFromInline var starts: Storage
    @usableFromInline var ends: Storage

    @usableFromInline typealias Storage = (SequenceNumber, SequenceNumber, SequenceNumber, SequenceNumber,
                                           SequenceNumber, SequenceNumber, SequenceNumber, SequenceNumber)

    init() {
        let zero = SequenceNumber(0)
        starts = (zero, zero, zero, zero, zero, zero, zero, zero)
        ends = starts
    }

    /// Entry `index` (0 ..< `capacity`): its start and end.
    @inlinable
    func interval(_ index: Int) -> (start: SequenceNumber, end: SequenceNumber) {
        withUnsafeBytes(of: starts) { starts in
            withUnsafeBytes(of: ends) { ends in
                (starts.load(fromByteOffset: index &* 4, as: SequenceNumber.self), ends.load(fromByteOffset: index &* 4, as: SequenceNumber.self))
            }
        }
    }

    @inlinable
    mutating func setInterval(_ index: Int, start: SequenceNumber, end: SequenceNumber) {
        withUnsafeMutableBytes(of: &starts) { $0.storeBytes(of: start, toByteOffset: index &* 4, as: SequenceNumber.self) }
        withUnsafeMutableBytes(of: &ends) { $0.storeBytes(of: end, toByteOffset: index &* 4, as: SequenceNumber.self) }
    }

    /// Removes entry `index` of `count`, keeping the others' order.
    mutating func remove(_ index: Int, count: inout UInt8) {
        var next = index &+ 1
        while next < Int(count) {
            let moved = interval(next)
            setInterval(next &- 1, start: moved.start, end: moved.end)
            next &+= 1
        }
        count &-= 1
    }

    /// Adds the bytes `start ..< end`, merging every interval they touch or overlap into one that
    /// becomes entry 0. Returns false (and changes nothing) when they touch none and all
    /// `capacity` entries are taken.
    mutating func insert(start: SequenceNumber, end: SequenceNumber, count: inout UInt8) -> Bool {
        var mergedStart = start
        var mergedEnd = end
        var index = 0
        var touchedAny = false
        while index < Int(count) {
            let existing = interval(index)
            if !(mergedEnd < existing.start) && !(existing.end < mergedStart) {
                if existing.start < mergedStart { mergedStart = existing.start }
                if mergedEnd < existing.end { mergedEnd = existing.end }
                remove(index, count: &count)
                touchedAny = true
            } else {
                index &+= 1
            }
        }
        guard touchedAny || Int(count) < OutOfOrderIntervals.capacity else { return false }
        // Make room at the front: every remaining entry moves down one.
        var slot = Int(count)
        while slot > 0 {
            let moved = interval(slot &- 1)
            setInterval(slot, start: moved.start, end: moved.end)
            slot &-= 1
        }
        setInterval(0, start: mergedStart, end: mergedEnd)
        count &+= 1
        return true
    }

    /// Takes every interval that the in-order bytes ending at `end` reach (start ≤ `end`) out of the
    /// set; returns the end of the in-order bytes then (the furthest end among them and `end`).
    mutating func absorb(upTo end: SequenceNumber, count: inout UInt8) -> SequenceNumber {
        var reached = end
        var index = 0
        while index < Int(count) {
            let existing = interval(index)
            if !(reached < existing.start) {
                if reached < existing.end { reached = existing.end }
                remove(index, count: &count)
                // An earlier entry may start between the old and the new end: look again from the front.
                index = 0
            } else {
                index &+= 1
            }
        }
        return reached
    }

    /// Ends the held bytes at `limit` (the peer's FIN) when an interval reaches it (starts before
    /// it and ends at or beyond it): that one is cut to end there and every interval past `limit`
    /// goes. Returns false, changing nothing, when no interval reaches `limit`.
    mutating func endAll(at limit: SequenceNumber, count: inout UInt8) -> Bool {
        var reaching = -1
        var index = 0
        while index < Int(count) {
            let existing = interval(index)
            if existing.start < limit && !(existing.end < limit) { reaching = index }
            index &+= 1
        }
        guard reaching >= 0 else { return false }
        setInterval(reaching, start: interval(reaching).start, end: limit)
        index = 0
        while index < Int(count) {
            if !(interval(index).start < limit) { remove(index, count: &count) } else { index &+= 1 }
        }
        return true
    }

    /// The end of the interval that reaches furthest (`count` > 0).
    func highestEnd(count: UInt8) -> SequenceNumber {
        var highest = interval(0).end
        var index = 1
        while index < Int(count) {
            let end = interval(index).end
            if highest < end { highest = end }
            index &+= 1
        }
        return highest
    }

    /// True when an interval holds every byte of `start ..< end`.
    func contains(start: SequenceNumber, end: SequenceNumber, count: UInt8) -> Bool {
        var index = 0
        while index < Int(count) {
            let existing = interval(index)
            if !(start < existing.start) && !(existing.end < end) { return true }
            index &+= 1
        }
        return false
    }
}
