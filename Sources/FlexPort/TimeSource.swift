#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of monotonic time in nanoseconds. Middleware, timers and stacks read time only through
/// one of these so that tests can substitute virtual time.
///
/// Contract: `now()` never decreases.
public protocol TimeSource: AnyObject {
    func now() -> UInt64
}

/// Real time from `CLOCK_MONOTONIC`.
public final class MonotonicTimeSource: TimeSource, @unchecked Sendable {
    public init() {}
    @inlinable
    public func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}

/// Virtual time that moves only when a test advances it; makes timer-driven code deterministic.
///
/// Contract: single-threaded use; `advance(by:)` and `set(to:)` never move time backwards
/// (`set` to an earlier value is a programming error and traps).
public final class VirtualTimeSource: TimeSource {
    public private(set) var current: UInt64

    public init(start: UInt64 = 0) { current = start }

    public func now() -> UInt64 { current }

    public func advance(by nanoseconds: UInt64) { current &+= nanoseconds }

    public func set(to nanoseconds: UInt64) {
        precondition(nanoseconds >= current, "virtual time cannot run backwards")
        current = nanoseconds
    }
}
