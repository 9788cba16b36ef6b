import Histogram

/// Latencies in nanoseconds, recorded into an HdrHistogram (3 significant digits, 1 ns … 60 s).
///
/// Contract: recording never allocates; values above 60 s are clamped to 60 s; `reset()` starts a
/// new measurement interval (figures are never cumulative across intervals); `merge` adds another
/// histogram's counts; percentiles are reported in microseconds, 0 when nothing was recorded.
public struct LatencyHistogram: Sendable {
    public static let highestTrackable: UInt64 = 60_000_000_000
    private var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestTrackable,
                                              numberOfSignificantValueDigits: .three)

    public init() {}

    public var count: UInt64 { histogram.totalCount }

    @inline(__always)
    public mutating func record(nanoseconds: UInt64) {
        _ = histogram.record(min(max(nanoseconds, 1), Self.highestTrackable))
    }

    public mutating func reset() { histogram.reset() }

    public mutating func merge(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    /// The latency at `percentile` (0…100) in microseconds.
    public func microseconds(atPercentile percentile: Double) -> Double {
        guard histogram.totalCount > 0 else { return 0 }
        return Double(histogram.valueAtPercentile(percentile)) / 1000
    }
}
