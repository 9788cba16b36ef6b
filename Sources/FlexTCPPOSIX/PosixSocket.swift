import CFlexPOSIX
import FlexTCP
import FlexWire
#if canImport(Glibc)
import Glibc
#endif

/// One FlexTCP socket as the program sees it: the open file behind one or more descriptors (dups
/// share it), with the POSIX state FlexTCP's contexts do not keep (blocking mode, bound port,
/// pending error, shut directions, options) and the connection or listener it stands for.
///
/// Contract: touched only under the library's lock. Every descriptor naming it is an eventfd whose
/// counter mirrors "readable" (`isReadable`), so the descriptor is a real kernel file that even a
/// wait the library does not see reflects; the library's own waits compute readiness here
/// (`readiness`) and are woken through `watchers` and epoll memberships.
final class PosixSocket {
    enum Phase {
        /// Made by socket(), perhaps bound; neither listening nor connected.
        case fresh
        /// listen() asked the service; `listenResult` tells the outcome.
        case opening(Listener)
        case listening(Listener)
        case connecting(Connection)
        case connected(Connection)
        /// A connect failed or a listener was shut: only close (and SO_ERROR) make sense.
        case failed
    }

    var phase: Phase = .fresh
    /// The descriptors naming this socket (the first gets the readable mirror).
    var descriptors: [Int32] = []
    var isNonBlocking: Bool
    var boundAddress: UInt32 = 0
    var boundPort: UInt16 = 0
    /// bind() succeeded (a second one fails with EINVAL, as on Linux).
    var isBound = false
    /// The outcome of listen() (nil while it waits for the service), as an errno value (0: listening).
    var listenResult: Int32?
    /// Accepted connections not yet taken by accept(), oldest first (their sockets have no descriptor yet).
    /// At most one: the others wait in the service's backlog (`Engine.takeNextConnection`).
    var acceptQueue: [PosixSocket] = []
    /// Connections the service announced for this listener that the library has not asked for yet.
    var connectionsWaitingInService = 0
    /// An accept request of the library for this listener is under way.
    var isAcceptUnderWay = false
    /// The library asks for a connection ahead of accept() (listen's backlog was at least 1); with
    /// backlog 0 it asks only for the accept() under way (`isAcceptWanted`), so at most one waits
    /// established, in the service, as on Linux.
    var asksAhead = true
    /// An accept() waits for the connection the library asks for (backlog 0).
    var isAcceptWanted = false
    /// The service refused the last accept request at once (no room, or no such listener): the next
    /// one waits for the next event of the context (`Engine.retryAccepts`), not asked again at once.
    var acceptWaitsForEvent = false
    /// SO_ERROR: the error a failed connect or a reset left, reported once.
    var pendingError: Int32 = 0
    var isReadShut = false
    var isWriteShut = false
    /// The program closed its last descriptor: received bytes are dropped until the connection is gone.
    var isOrphaned = false
    /// Options set with setsockopt, kept for getsockopt (level << 32 | name → bytes).
    var options: [Int64: [UInt8]] = [:]
    /// SO_RCVTIMEO / SO_SNDTIMEO in nanoseconds (-1: none).
    var receiveTimeout: Int64 = -1
    var sendTimeout: Int64 = -1
    /// Threads waiting for this socket (their wake-up eventfds), signalled at every change.
    var watchers: [Int32] = []
    /// Epoll interests naming this socket: (set, descriptor).
    var memberships: [(set: EpollSet, descriptor: Int32)] = []
    /// The eventfd counter is non-zero (the mirror of `isReadable`).
    var isMirrorSet = false

    init(nonBlocking: Bool) {
        isNonBlocking = nonBlocking
    }

    var connection: Connection? {
        switch phase {
        case .connecting(let connection), .connected(let connection): connection
        default: nil
        }
    }

    /// Free send space that makes the socket writable for poll (a third of the ring, as Linux asks
    /// for a third of the send buffer), so a writer woken for it can write a useful amount.
    static func writableThreshold(_ connection: Connection) -> Int { max(1, (connection.sendSpace + connection.unacknowledgedByteCount) / 3) }

    /// What poll would report now (POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP bits; the same values as EPOLL*).
    var readiness: UInt32 {
        var mask: UInt32 = pendingError != 0 ? UInt32(POLLERR) : 0
        switch phase {
        case .fresh:
            mask |= UInt32(POLLOUT) | UInt32(POLLHUP)
        case .opening, .connecting:
            break
        case .listening:
            if !acceptQueue.isEmpty || (!asksAhead && connectionsWaitingInService > 0) { mask |= UInt32(POLLIN) }
        case .failed:
            mask |= UInt32(POLLIN) | UInt32(POLLOUT) | UInt32(POLLHUP)
        case .connected(let connection):
            let ended = connection.hasStreamEnded || !connection.isOpen
            if connection.isOpen && connection.unfreedByteCount > 0 || ended || isReadShut { mask |= UInt32(POLLIN) }
            if ended || isReadShut { mask |= EventBits.readHangUp }
            let reset = ended && !connection.hasPeerFinished
            if isWriteShut || reset || !connection.isOpen || connection.sendSpace >= Self.writableThreshold(connection) {
                mask |= UInt32(POLLOUT)
            }
            if reset || !connection.isOpen || (ended && isWriteShut) { mask |= UInt32(POLLHUP) }
        }
        return mask
    }

    /// Reads and clears the pending error (SO_ERROR's "reported once"); `fallback` when there is none.
    func takePendingError(or fallback: Int32 = 0) -> Int32 {
        defer { pendingError = 0 }
        return pendingError != 0 ? pendingError : fallback
    }

    var isReadable: Bool { readiness & (UInt32(POLLIN) | UInt32(POLLERR) | UInt32(POLLHUP)) != 0 }
}
