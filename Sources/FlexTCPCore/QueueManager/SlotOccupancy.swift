/// A two-level bitmap over the 4096 slot positions of the queue manager's timing wheel: which
/// slots hold at least one flow.
///
/// Contract: positions are `0..<slotCount`; `firstOccupied(circularlyFrom:)` finds the next
/// occupied position in wheel order (wrapping past the end) with a constant number of word
/// operations, never a scan over the slots.
struct SlotOccupancy: ~Copyable {
    static let slotCount = 4096
    private static let wordCount = slotCount / 64

    /// Bit `p % 64` of word `p / 64` is set when position `p` is occupied.
    private let words: UnsafeMutablePointer<UInt64>
    /// Bit `w` is set when word `w` is non-zero.
    private var summary: UInt64 = 0

    init() {
        words = .allocate(capacity: Self.wordCount)
        words.initialize(repeating: 0, count: Self.wordCount)
    }

    deinit { words.deallocate() }

    var isEmpty: Bool { summary == 0 }

    mutating func insert(_ position: Int) {
        words[position >> 6] |= 1 &<< UInt64(position & 63)
        summary |= 1 &<< UInt64(position >> 6)
    }

    mutating func remove(_ position: Int) {
        let word = position >> 6
        words[word] &= ~(1 &<< UInt64(position & 63))
        if words[word] == 0 { summary &= ~(1 &<< UInt64(word)) }
    }

    /// The first occupied position at or after `start`, wrapping around to the positions before it.
    func firstOccupied(circularlyFrom start: Int) -> Int? {
        let word = start >> 6
        let sameWordRest = words[word] & (~0 &<< UInt64(start & 63))
        if sameWordRest != 0 { return word << 6 | sameWordRest.trailingZeroBitCount }
        // Words after `word`; when `word` is the last one the shift yields no bits.
        let laterWords = word == Self.wordCount - 1 ? 0 : summary & (~0 &<< UInt64(word + 1))
        let candidates = laterWords != 0 ? laterWords : summary
        guard candidates != 0 else { return nil }
        let found = candidates.trailingZeroBitCount
        return found << 6 | words[found].trailingZeroBitCount
    }
}
