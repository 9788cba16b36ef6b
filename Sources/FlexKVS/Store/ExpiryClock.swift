import Atomics
#if canImport(Glibc)
import Glibc
#endif

/// The store's time in whole seconds relative to its start (memcached's `current_time`, which
/// starts at 2), and the conversion of protocol expiry times to it.
///
/// Contract: `now` never goes backwards (monotonic clock); `advance` moves it forward for tests.
/// Thread-safe.
public final class ExpiryClock: Sendable {
    /// Unix time at which relative time 0 lies (memcached's `process_started`).
    public let processStarted: Int64
    private let monotonicStart: Int64
    private let skipped = ManagedAtomic<UInt32>(0)
    /// memcached's REALTIME_MAXDELTA: expiry times above it are absolute Unix times.
    public static let relativeLimit: Int64 = 60 * 60 * 24 * 30

    public init() {
        monotonicStart = Self.monotonicSeconds()
        processStarted = Int64(time(nil)) - 2
    }

    /// Seconds since the store started, plus 2.
    public var now: UInt32 {
        UInt32(truncatingIfNeeded: Self.monotonicSeconds() - monotonicStart + 2) &+ skipped.load(ordering: .relaxed)
    }

    /// The current Unix time as the store sees it.
    public var unixTime: Int64 { processStarted + Int64(now) }

    /// Moves time forward by `seconds` (tests of expiry).
    public func advance(seconds: UInt32) { skipped.wrappingIncrement(by: seconds, ordering: .relaxed) }

    /// The relative expiry for a protocol expiry time: 0 never; negative, or absolute in the past: already expired;
    /// up to 30 days: relative to now; beyond: an absolute Unix time.
    public func expiry(fromProtocol exptime: Int64) -> UInt32 {
        if exptime == 0 { return 0 }
        if exptime < 0 { return 1 }
        if exptime > Self.relativeLimit {
            if exptime <= processStarted { return 1 }
            return UInt32(clamping: exptime - processStarted)
        }
        return UInt32(clamping: exptime + Int64(now))
    }

    /// The coarse monotonic clock (the tick's time, read without the time-stamp counter: cheaper
    /// per request, and whole seconds are all the store needs).
    private static func monotonicSeconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &spec)
        return Int64(spec.tv_sec)
    }
}
