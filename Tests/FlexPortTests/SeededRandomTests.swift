import FlexPort
import Testing

@Suite struct SeededRandomTests {
    /// Reference outputs of xoshiro256** started from the state (1, 2, 3, 4).
    @Test func matchesTheReferenceSequence() {
        var random = SeededRandom(state: (1, 2, 3, 4))
        let expected: [UInt64] = [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240]
        #expect((0..<4).map { _ in random.next() } == expected)
    }

    /// Reference outputs of SplitMix64 seeded with 1234567.
    @Test func splitMixMatchesTheReferenceSequence() {
        var seeder = SplitMix64(seed: 1_234_567)
        let expected: [UInt64] = [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423]
        #expect((0..<3).map { _ in seeder.next() } == expected)
    }

    @Test func sameSeedSameSequenceOtherSeedOtherSequence() {
        var first = SeededRandom(seed: 42)
        var second = SeededRandom(seed: 42)
        var other = SeededRandom(seed: 43)
        let a = (0..<100).map { _ in first.next() }
        #expect(a == (0..<100).map { _ in second.next() })
        #expect(a != (0..<100).map { _ in other.next() })
    }

    @Test func unitIntervalAndBooleansHaveTheRightDistribution() {
        var random = SeededRandom(seed: 7)
        let samples = 100_000
        var sum = 0.0
        var hits = 0
        for _ in 0..<samples {
            let value = random.nextUnitInterval()
            #expect(value >= 0 && value < 1)
            sum += value
            if random.nextBoolean(probability: 0.25) { hits += 1 }
        }
        #expect(abs(sum / Double(samples) - 0.5) < 0.005)
        #expect(abs(Double(hits) / Double(samples) - 0.25) < 0.005)
        let never = random.nextBoolean(probability: 0)
        let always = random.nextBoolean(probability: 1)
        let bounded = Int.random(in: 0..<10, using: &random)
        #expect(!never && always && bounded < 10)
    }
}
