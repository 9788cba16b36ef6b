#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Set once SIGINT or SIGTERM arrives after `StopSignal.install()`.
private let stopRequested = Atomic<Bool>(false)

/// Turns SIGINT and SIGTERM into a flag that a tool's long-running loops poll, so they can stop
/// cleanly and report what they did (`flextcp`, `flexkvs`).
///
/// Contract: `install()` replaces the process's handlers for both signals; `isRequested` may be
/// read from any thread.
public enum StopSignal {
    public static func install() {
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
    }

    public static var isRequested: Bool { stopRequested.load(ordering: .relaxed) }

    /// Installs the handlers and sleeps until a stop is requested.
    public static func wait() {
        install()
        while !isRequested { usleep(100_000) }
    }
}
