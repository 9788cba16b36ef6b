import CFlexShim
import FlexPort
import FlexTCPCore
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the control thread tells the runtime thread.
enum ControlCommand: Equatable {
    /// A process sent a valid hello on `socket` and waits for its attach reply.
    case attach(socket: Int32, pid: Int32)
    /// The process on `socket` hung up (exit, crash or detach); the runtime thread closes `socket`.
    case hangUp(socket: Int32)
}

/// flextcpd's UNIX socket where applications attach, served by a thread of its own: it accepts
/// connections, reads each one's hello (`AttachProtocol`), and watches every connection for its
/// hang-up, queueing `ControlCommand`s for the runtime thread and waking it (`runtimeSignal`).
///
/// Bounded: at most `maximumPendingAttaches` connections wait for their hello at once (the
/// listener is not polled meanwhile, so further connections wait in the kernel's backlog); a
/// connection whose hello has not come `helloTimeoutNanoseconds` after its accept is closed
/// (logged). When `accept` fails for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM), the error is logged and the listener rests for a back-off (10 ms, doubling to 1 s)
/// instead of being polled again at once.
///
/// Contract: the runtime thread takes the commands (`takeCommands`), answers attaches on the
/// socket, and owns closing a socket once its `hangUp` came (never before, so a descriptor is
/// not reused under the control thread); a socket it refuses it shuts down (`shutdown(2)`), which
/// the control thread sees as the hang-up. A connection whose hello is wrong is answered with
/// `badHello` and closed here. `stop()` ends and joins the thread and removes the socket file; it
/// closes the sockets still waiting for their hello and posts the hang-ups already seen (so the
/// runtime closes the sockets it refused); the other sockets stay the runtime thread's to close.
final class ControlChannel: @unchecked Sendable {
    // Sendable: the listener, path, logger and limits never change; the watch list is the control
    // thread's own; commands cross under a lock.
    static let maximumPendingAttaches = 16
    let path: String
    private let serving: ListenerThread
    private let helloTimeoutNanoseconds: UInt64
    private let logger: Logger
    private let runtimeSignal: WakeupSignal
    private let commands = Mutex<[ControlCommand]>([])
    /// Commands were queued since the last `takeCommands` (a look without the lock, every round).
    private let hasCommands = Atomic<Bool>(false)

    init(path: String, helloTimeoutNanoseconds: UInt64, logger: Logger, runtimeSignal: WakeupSignal) throws(SharedMemoryError) {
        let listener = flexshim_unix_listen(path, 64)
        guard listener >= 0 else {
            let code = errno
            let hint = code == EADDRINUSE ? " (a flextcpd already serves there: stop it or give another --service path)"
                : code == EEXIST ? " (a file that is not a socket is in the way: remove it or give another --service path)" : ""
            throw SharedMemoryError(operation: "listening at \(path)\(hint)", code: code)
        }
        self.path = path
        serving = try ListenerThread(listener: listener)
        self.helloTimeoutNanoseconds = helloTimeoutNanoseconds
        self.logger = logger
        self.runtimeSignal = runtimeSignal
    }

    func start() throws(SharedMemoryError) { try serving.start { [self] in serve() } }

    /// The commands queued since the last call, oldest first.
    func takeCommands() -> [ControlCommand] {
        guard hasCommands.load(ordering: .acquiring) else { return [] }
        hasCommands.store(false, ordering: .sequentiallyConsistent)
        return commands.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
    }

    func stop() {
        serving.stop()
        unlink(path)
    }

    private func post(_ command: ControlCommand) {
        commands.withLock { $0.append(command) }
        hasCommands.store(true, ordering: .releasing)
        runtimeSignal.signal()
    }

    /// The control thread: poll the listener (unless resting or full of pending hellos), the stop
    /// signal and every connection; close the connections whose hello is overdue.
    private func serve() {
        let clock = MonotonicTimeSource()
        var connections = WatchedConnections()
        var accepting = AcceptBackOff()
        while true {
            let now = clock.now()
            for socket in connections.overdue(now: now) {
                logger.warning("attach refused: no hello in time, connection closed",
                               metadata: ["pid": "\(flexshim_peer_pid(socket))", "timeoutMs": "\(helloTimeoutNanoseconds / 1_000_000)"])
                Glibc.close(socket)
            }
            let listens = connections.waitingForHello.count < Self.maximumPendingAttaches && accepting.isOpen(now: now)
            var descriptors = [pollfd(fd: serving.stopping.fileDescriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: listens ? serving.listener : -1, events: Int16(POLLIN), revents: 0)]
            descriptors += connections.sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let wakeAt = min(connections.nextDeadline, accepting.isOpen(now: now) ? .max : accepting.reopensAt)
            let timeout = wakeAt == .max ? -1 : Int32(clamping: (wakeAt &- min(wakeAt, now)) / 1_000_000 + 1)
            guard poll(&descriptors, nfds_t(descriptors.count), timeout) >= 0 || errno == EINTR, descriptors[0].revents == 0 else {
                finish(&connections)
                return
            }
            if descriptors[1].revents != 0 { acceptOne(into: &connections, backOff: &accepting, now: now) }
            for entry in descriptors.dropFirst(2) where entry.revents != 0 { read(entry.fd, connections: &connections) }
        }
    }

    /// At stop: passes on the hang-ups already there (sockets the runtime refused and shut down
    /// close only once their hang-up is posted) and closes the sockets still waiting for a hello.
    private func finish(_ connections: inout WatchedConnections) {
        var descriptors = connections.sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if poll(&descriptors, nfds_t(descriptors.count), 0) > 0 {
            for entry in descriptors where entry.revents != 0 { read(entry.fd, connections: &connections) }
        }
        for socket in connections.waitingForHello {
            connections.remove(socket)
            Glibc.close(socket)
        }
    }

    private func acceptOne(into connections: inout WatchedConnections, backOff: inout AcceptBackOff, now: UInt64) {
        let socket = flexshim_accept_cloexec(serving.listener)
        if socket >= 0 {
            backOff.succeeded()
            connections.add(socket, helloDue: now &+ helloTimeoutNanoseconds)
            return
        }
        let code = errno
        guard code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM else { return }
        let rest = backOff.failed(now: now)
        logger.error("limit hit: cannot accept an attach, out of descriptors or memory; attaches wait in the backlog",
                     metadata: ["error": "\(String(cString: strerror(code)))", "retryInMs": "\(rest / 1_000_000)"])
    }

    /// Reads what `socket` sent: its hello, a hang-up, or (attached) meaningless bytes, dropped.
    private func read(_ socket: Int32, connections: inout WatchedConnections) {
        var bytes = [UInt8](repeating: 0, count: 64)
        let received = bytes.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if received < 0 && (errno == EAGAIN || errno == EINTR) { return }
        let helloTaken = connections.helloTaken(socket)
        if received <= 0 {
            connections.remove(socket)
            // Hung up before its hello: nobody else knows the socket.
            if helloTaken { post(.hangUp(socket: socket)) } else { Glibc.close(socket) }
        } else if !helloTaken {
            if AttachProtocol.isHello(Array(bytes.prefix(received))) {
                connections.takeHello(socket)
                post(.attach(socket: socket, pid: flexshim_peer_pid(socket)))
            } else {
                connections.remove(socket)
                let reply = AttachReply(status: .badHello).encoded
                _ = reply.withUnsafeBytes { flexshim_send_with_descriptors(socket, $0.baseAddress, $0.count, nil, 0) }
                Glibc.close(socket)
            }
        }
    }
}

/// The control thread's connections: each either waiting for its hello (until a deadline) or
/// attached (its hello taken, watched for the hang-up).
struct WatchedConnections {
    /// Hello deadline by socket; nil once the hello was taken.
    private var deadlines: [Int32: UInt64?] = [:]

    var sockets: [Int32] { deadlines.keys.sorted() }
    var waitingForHello: [Int32] { deadlines.compactMap { socket, due in due == nil ? nil : socket }.sorted() }
    var nextDeadline: UInt64 { deadlines.values.compactMap { $0 }.min() ?? .max }

    mutating func add(_ socket: Int32, helloDue: UInt64) { deadlines[socket] = .some(helloDue) }
    mutating func takeHello(_ socket: Int32) { deadlines[socket] = .some(nil) }
    mutating func remove(_ socket: Int32) { deadlines[socket] = nil }
    /// True unless `socket` is waiting for its hello (an unknown socket counts as taken).
    func helloTaken(_ socket: Int32) -> Bool { (deadlines[socket] ?? nil) == nil }

    /// Removes and returns the sockets whose hello is overdue at `now`.
    mutating func overdue(now: UInt64) -> [Int32] {
        let late = deadlines.compactMap { socket, due in due.flatMap { $0 <= now ? socket : nil } }.sorted()
        for socket in late { deadlines[socket] = nil }
        return late
    }
}

/// When the listener may be polled again after `accept` failed for want of resources: 10 ms,
/// doubling with each failure in a row up to 1 s, open again after a success.
struct AcceptBackOff {
    static let first: UInt64 = 10_000_000
    static let longest: UInt64 = 1_000_000_000
    private(set) var reopensAt: UInt64 = .max
    private var rest: UInt64 = 0

    func isOpen(now: UInt64) -> Bool { reopensAt == .max || now >= reopensAt }

    /// Records a failure at `now`; returns the rest before the next try.
    mutating func failed(now: UInt64) -> UInt64 {
        rest = rest == 0 ? Self.first : min(rest &* 2, Self.longest)
        reopensAt = now &+ rest
        return rest
    }

    mutating func succeeded() {
        rest = 0
        reopensAt = .max
    }
}
