#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Set once SIGINT or SIGTERM arrives after `StopSignal.install()`.
private let stopRequested = Atomic<Bool>(false)

/// Turns SIGINT and SIGTERM into a flag that long-running subcommands poll, so they can stop
/// cleanly and print what they did.
enum StopSignal {
    static func install() {
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
    }

    static var isRequested: Bool { stopRequested.load(ordering: .relaxed) }
}
