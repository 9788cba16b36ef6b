import CFlexShim
import FlexPort
import FlexTCPCore
#if canImport(Glibc)
import Glibc
#endif

/// The eventfds flextcpd shares with its applications, none shared between two applications or
/// two tenants of a slot: each application slot has its own signal for waking the service (its
/// contexts' producers signal it), gathered in one epoll set the service sleeps on (`wakeSet`),
/// and each context its own application signal (in the runtime's `ContextRegion`).
///
/// Contract: `renew(application:contexts:)` gives the slot's descriptors new eventfds under the
/// same descriptor numbers (`dup3`), so the runtime's views keep working while copies an earlier
/// tenant kept name the old eventfds, which nobody signals or reads any more: a new tenant never
/// receives a wake-up meant for an old one, and an old tenant cannot wake or starve the new one.
/// `harvest()` empties the signals that woke the service (after each idle sleep). Used by the
/// service's runtime thread only.
final class ApplicationSignals {
    /// Per application slot: what its contexts signal to wake the service.
    let serviceSignals: [WakeupSignal]
    /// The epoll set of every `serviceSignals` descriptor, readable when one was signalled; the
    /// runtime's idle sleep waits on it (`sleepUntilWork(alsoWakingOn:)`).
    let wakeSet: WakeupSignal

    init(applications: Int) throws(SharedMemoryError) {
        let epoll = flexshim_wake_set_create()
        guard epoll >= 0 else { throw SharedMemoryError(operation: "epoll_create1", code: errno) }
        wakeSet = WakeupSignal(adopting: epoll)
        do {
            serviceSignals = try (0..<applications).map { _ throws(WakeupSignalError) in try WakeupSignal() }
        } catch {
            throw SharedMemoryError(operation: "eventfd", code: error.code)
        }
        for signal in serviceSignals { try watch(signal.fileDescriptor) }
    }

    /// New eventfds behind the service signal of `application` and the application signals of
    /// `contexts` (see the type's contract).
    func renew(application: Int, contexts: Range<Int>, in region: ContextRegion) throws(SharedMemoryError) {
        let service = serviceSignals[application].fileDescriptor
        // Out of the set first: the set follows the open file, which an old tenant may keep open.
        _ = flexshim_wake_set_remove(wakeSet.fileDescriptor, service)
        try Self.replaceEventfd(at: service)
        try watch(service)
        for context in contexts { try Self.replaceEventfd(at: region.signals(context).application.fileDescriptor) }
    }

    /// Reads (resets) every service signal that is set, so the epoll set is quiet until the next signal.
    func harvest() { _ = flexshim_wake_set_harvest(wakeSet.fileDescriptor) }

    private func watch(_ descriptor: Int32) throws(SharedMemoryError) {
        guard flexshim_wake_set_add(wakeSet.fileDescriptor, descriptor) == 0 else { throw SharedMemoryError(operation: "epoll_ctl", code: errno) }
    }

    /// Puts a new eventfd (close-on-exec, non-blocking, count 0) under `descriptor`.
    private static func replaceEventfd(at descriptor: Int32) throws(SharedMemoryError) {
        let fresh: WakeupSignal
        do {
            fresh = try WakeupSignal()
        } catch {
            throw SharedMemoryError(operation: "eventfd", code: error.code)
        }
        guard flexshim_replace_descriptor(fresh.fileDescriptor, descriptor) == 0 else { throw SharedMemoryError(operation: "dup3", code: errno) }
    }
}
