import CFlexPOSIX
#if canImport(Glibc)
import Glibc
#endif

/// The epoll and poll bits Linux defines that Swift's Glibc module leaves out (the poll bits
/// IN, OUT, ERR, HUP and RDHUP are the same values as epoll's).
enum EventBits {
    static let readHangUp: UInt32 = 0x2000
    static let oneShot: UInt32 = 1 << 30
    static let edgeTriggered: UInt32 = 1 << 31
    static let add: Int32 = 1
    static let delete: Int32 = 2
    static let modify: Int32 = 3
}

/// The FlexTCP part of one epoll instance: the interests in FlexTCP sockets (kept here, not in
/// the kernel), the candidates to look at in the next epoll_wait (sockets that changed since,
/// and level-triggered ones last found ready), and the wake-up eventfd registered in the kernel
/// epoll (with `marker` as its data) that a change of any of its sockets signals.
///
/// Contract: touched only under the library's lock. `collect` reports what is ready with
/// Linux's meaning of EPOLLET (an event per change), EPOLLONESHOT (then disabled until
/// EPOLL_CTL_MOD) and level triggering (reported while ready).
final class EpollSet {
    /// The data of the wake-up eventfd in the kernel epoll (told apart from the program's own entries).
    static let marker = UInt64(FLEXPOSIX_EPOLL_WAKE_MARKER)
    /// The data of the context's signal in the kernel epoll (`watchesContext`).
    static let contextMarker = UInt64(FLEXPOSIX_CONTEXT_WAKE_MARKER)

    struct Interest {
        let socket: PosixSocket
        var events: UInt32
        var data: UInt64
        /// EPOLLONESHOT fired: nothing is reported until EPOLL_CTL_MOD.
        var isDisabled = false
        var isCandidate = false
    }

    let descriptor: Int32
    let wake: Int32
    var interests: [Int32: Interest] = [:]
    private var candidates: [Int32] = []
    /// The wake-up eventfd's counter is non-zero.
    private var isSignalled = false
    /// The context's signal is registered in the kernel epoll: a thread waiting on the set watches
    /// the context (`Engine.beginContextWatch`).
    var watchesContext = false
    /// A thread of epoll_wait polls the context and collects right after: changes need no wake-up.
    private var isCollecting = false

    init(descriptor: Int32, wake: Int32) {
        self.descriptor = descriptor
        self.wake = wake
    }

    /// Something about the socket behind `fd` changed: look at it in the next epoll_wait.
    func changed(_ fd: Int32) {
        guard var interest = interests[fd], !interest.isDisabled else { return }
        if !interest.isCandidate {
            interest.isCandidate = true
            interests[fd] = interest
            candidates.append(fd)
        }
        if !isSignalled && !isCollecting {
            isSignalled = true
            flexposix_eventfd_signal(wake)
        }
    }

    /// epoll_wait's look: polls the context (unless `pollsContext` is false), then `collect`s. The
    /// changes the poll finds need not signal the wake-up, since this look collects them.
    func pollAndCollect(into events: UnsafeMutableRawPointer, offset: Int, max: Int, engine: Engine, reported: inout [Int32],
                        pollsContext: Bool = true) -> Int {
        if pollsContext {
            isCollecting = true
            engine.pollContext()
            isCollecting = false
        }
        return collect(into: events, offset: offset, max: max, engine: engine, reported: &reported)
    }

    /// Empties the wake-up eventfd before a look at the candidates (a change after it signals again).
    func drainWake() {
        if isSignalled {
            isSignalled = false
            flexposix_eventfd_drain(wake)
        }
    }

    /// Writes up to `max` ready events into `events` (struct epoll_event array) from `offset`; returns how many.
    /// Candidates not reached stay first; level-triggered interests reported go to the back (as Linux
    /// rotates its ready list), so a small `max` serves every ready socket in turn. An interest asking
    /// EPOLLOUT of a socket not writable asks the engine for the next acknowledgment's news.
    /// Afterwards the wake-up eventfd stays signalled while candidates remain (the epoll descriptor
    /// is readable for a poll on it, and another thread's epoll_wait wakes). Descriptors in
    /// `reported` (this epoll_wait's earlier reports) are passed over; those reported now are added.
    func collect(into events: UnsafeMutableRawPointer, offset: Int, max: Int, engine: Engine, reported: inout [Int32]) -> Int {
        var written = 0
        var notReached: [Int32] = []
        var reportedBefore: [Int32] = []
        var reportedNow: [Int32] = []
        for fd in candidates {
            guard var interest = interests[fd] else { continue }
            if reported.contains(fd) {
                reportedBefore.append(fd)
                continue
            }
            guard written < max else {
                notReached.append(fd)
                continue
            }
            let always = UInt32(POLLERR) | UInt32(POLLHUP)
            let readiness = interest.socket.readiness
            let ready = interest.isDisabled ? 0 : readiness & (interest.events | always)
            if !interest.isDisabled, interest.events & UInt32(POLLOUT) != 0, readiness & UInt32(POLLOUT) == 0,
               let connection = interest.socket.connection, connection.isOpen {
                engine.wantSendSpace(connection)
            }
            var stays = false
            if ready != 0 {
                flexposix_epoll_event_set(events, Int32(offset + written), ready, interest.data)
                written += 1
                if interest.events & EventBits.oneShot != 0 {
                    interest.isDisabled = true
                } else if interest.events & EventBits.edgeTriggered == 0 {
                    stays = true
                }
            }
            interest.isCandidate = stays
            interests[fd] = interest
            if ready != 0 { reported.append(fd) }
            if stays { reportedNow.append(fd) }
        }
        candidates = notReached + reportedBefore + reportedNow
        if !candidates.isEmpty && !isSignalled {
            isSignalled = true
            flexposix_eventfd_signal(wake)
        }
        return written
    }

    /// epoll_wait with `max` 1 alternates between the FlexTCP interests and the kernel's (true: the kernel's turn next).
    var isKernelsTurn = false
}
