#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Set once SIGINT or SIGTERM arrives after `StopSignal.install()`.
private let stopRequested = Atomic<Bool>(false)

/// SIGINT and SIGTERM as a flag the server's loops poll, so that it stops cleanly.
enum StopSignal {
    static func install() {
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
    }

    static var isRequested: Bool { stopRequested.load(ordering: .relaxed) }

    /// Installs the handlers and sleeps until a stop is requested.
    static func wait() {
        install()
        while !isRequested { usleep(100_000) }
    }
}
