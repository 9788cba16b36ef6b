import FlexBench
import Testing

@Suite struct LatencyHistogramTests {
    @Test func percentilesOfAKnownDistribution() {
        var histogram = LatencyHistogram()
        // 1 … 1000 µs, one each.
        for microseconds in 1...1000 { histogram.record(nanoseconds: UInt64(microseconds) * 1000) }
        #expect(histogram.count == 1000)
        #expect(abs(histogram.microseconds(atPercentile: 50) - 500) <= 1)
        #expect(abs(histogram.microseconds(atPercentile: 99) - 990) <= 1)
        #expect(abs(histogram.microseconds(atPercentile: 99.9) - 999) <= 1)
    }

    @Test func resetStartsANewInterval() {
        var histogram = LatencyHistogram()
        for _ in 0..<100 { histogram.record(nanoseconds: 1_000_000) }
        histogram.reset()
        #expect(histogram.count == 0)
        #expect(histogram.microseconds(atPercentile: 50) == 0)
        histogram.record(nanoseconds: 2000)
        #expect(abs(histogram.microseconds(atPercentile: 99) - 2) < 0.01)
    }

    @Test func mergeAddsCountsAndExtremesAreClamped() {
        var first = LatencyHistogram()
        var second = LatencyHistogram()
        first.record(nanoseconds: 0)
        second.record(nanoseconds: .max)
        first.merge(second)
        #expect(first.count == 2)
        #expect(first.microseconds(atPercentile: 100) >= Double(LatencyHistogram.highestTrackable) / 1000 * 0.999)
    }
}
