#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Set once SIGINT or SIGTERM arrived after `StopSignal.install`.
private let stopRequested = Atomic<Bool>(false)

/// SIGINT and SIGTERM become a flag the target's watcher polls, so that it stops cleanly and reports.
enum StopSignal {
    static func install() {
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
    }

    static var isRequested: Bool { stopRequested.load(ordering: .relaxed) }
}
