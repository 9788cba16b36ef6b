/// A seedable pseudo-random generator for deterministic tests, emulators and tools: xoshiro256**
/// (Blackman and Vigna), its 256-bit state filled from a 64-bit seed by `SplitMix64`.
///
/// Contract: the same seed always yields the same sequence, on every platform; not for cryptography.
/// A plain value: copying it forks the sequence.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        state = (seeder.next(), seeder.next(), seeder.next(), seeder.next())
    }

    /// Starts from an explicit state, which must not be all zero (xoshiro's one fixed point).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state.0 | state.1 | state.2 | state.3 != 0, "xoshiro256** state must not be all zero")
        self.state = state
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = (state.1 &* 5).rotatedLeft(by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = state.3.rotatedLeft(by: 45)
        return result
    }

    /// A uniform value in [0, 1) carrying 53 random bits.
    @inlinable
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// True with `probability` (0 never draws and is always false; 1 or more is always true).
    @inlinable
    public mutating func nextBoolean(probability: Double) -> Bool {
        probability > 0 && nextUnitInterval() < probability
    }
}

/// SplitMix64 (Steele, Lea and Flood): a tiny generator whose main use is to expand one 64-bit seed
/// into well-mixed state for larger generators.
///
/// Contract: deterministic; every seed (zero included) is valid.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}

extension UInt64 {
    @inlinable
    func rotatedLeft(by count: UInt64) -> UInt64 { (self << count) | (self >> (64 &- count)) }
}
