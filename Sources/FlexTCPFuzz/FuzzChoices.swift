import FlexPort

/// Where a fuzz session takes its decisions from: a seeded generator (the test-suite loop) or the
/// bytes of a libFuzzer input (so coverage guidance steers the same structure-aware driver).
///
/// Contract: `number(below:)` returns a value in `0..<bound` (bound ≥ 1) and `word()` any 32-bit
/// value; `isExhausted` becomes true when a byte-driven source has nothing left (a seeded one never does).
public protocol FuzzChoices {
    mutating func number(below bound: Int) -> Int
    mutating func word() -> UInt32
    var isExhausted: Bool { get }
}

extension FuzzChoices {
    /// True with probability 1 / `odds`.
    public mutating func oneIn(_ odds: Int) -> Bool { number(below: odds) == 0 }

    /// A value in `range` (inclusive).
    public mutating func number(in range: ClosedRange<Int>) -> Int { range.lowerBound + number(below: range.count) }

    /// `count` arbitrary bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: word()) } }
}

/// Decisions from `SeededRandom`: the same seed replays the same session.
public struct SeededChoices: FuzzChoices {
    private var random: SeededRandom

    public init(seed: UInt64) { random = SeededRandom(seed: seed) }

    public mutating func number(below bound: Int) -> Int { Int.random(in: 0..<max(bound, 1), using: &random) }
    public mutating func word() -> UInt32 { UInt32(truncatingIfNeeded: random.next()) }
    public var isExhausted: Bool { false }
}

/// Decisions read from a byte string (a libFuzzer input), little-endian, zeros once it runs out.
public struct ByteChoices: FuzzChoices {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isExhausted: Bool { offset >= bytes.count }

    public mutating func number(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let width = bound <= 256 ? 1 : bound <= 65536 ? 2 : 4
        return Int(take(width) % UInt32(clamping: bound))
    }

    public mutating func word() -> UInt32 { take(4) }

    private mutating func take(_ width: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<width where offset < bytes.count {
            value |= UInt32(bytes[offset]) << (8 * UInt32(index))
            offset += 1
        }
        return value
    }
}
