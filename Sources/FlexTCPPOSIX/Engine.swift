import CFlexPOSIX
import FlexPort
import FlexTCP
import FlexWire
#if canImport(Glibc)
import Glibc
#endif

/// The library's state in one process: the attachment to flextcpd (one low-level `Context`,
/// shared by every thread under the library's lock), the FlexTCP sockets by descriptor, and the
/// epoll sets with FlexTCP interests.
///
/// Attaching happens at the first FlexTCP socket (`attach`): a thread of the library attaches
/// (`FlexTCPStack.withAttachedStack`, the service path from `$FLEXTCP_SERVICE` or flextcpd's
/// default) and then drives the context for good (`drive`): it sleeps until the service
/// publishes something, then turns the context's events into socket state (`dispatch`) and wakes
/// whoever waits for those sockets (`notify`). Program threads do the same on their way through
/// the library (`pollContext`), so a busy thread does not wait for the library's thread, and a
/// program thread that sleeps in the library waits for the context's signal itself
/// (`beginContextWatch`): woken by the service, it handles the events on its own, without a hop
/// through the library's thread, which meanwhile stands by (`drive`).
///
/// Contract: every member is touched under the library's lock (`flexposix_lock`), which
/// `block` alone releases while it sleeps. In a forked child, `current` is a new engine (the
/// parent's sockets are not the child's; see the fork rule in README).
final class Engine {
    nonisolated(unsafe) private static var instance: Engine?

    /// The engine of this process (a new one in a forked child). Under the lock.
    static var current: Engine {
        let generation = flexposix_fork_generation()
        if let engine = instance, engine.generation == generation { return engine }
        // The parent's engine stays allocated: its threads do not exist here, so nothing may tear it down.
        if let parents = instance { _ = Unmanaged.passRetained(parents) }
        let engine = Engine(generation: generation)
        instance = engine
        return engine
    }

    enum Attachment {
        case detached
        case attaching
        case attached(Context, IPv4Address)
        case failed
    }

    let generation: UInt32
    var attachment = Attachment.detached
    var sockets: [Int32: PosixSocket] = [:]
    var byConnection: [ObjectIdentifier: PosixSocket] = [:]
    var byListener: [ObjectIdentifier: PosixSocket] = [:]
    /// Connections being accepted, by the listening socket they are for.
    var acceptsFor: [ObjectIdentifier: PosixSocket] = [:]
    /// Listeners whose last accept request found no room in the service (`retryAccepts`).
    private var acceptsAwaitingEvent: [PosixSocket] = []
    var epollSets: [Int32: EpollSet] = [:]
    /// Context operations decided while the context reports events, done right after.
    private var afterPoll: [() -> Void] = []
    /// A call returned EPIPE without MSG_NOSIGNAL: SIGPIPE is raised once the lock is released.
    var owesSigpipe = false
    private let attached = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    /// The context's wake-up eventfd, which the service signals while the context is armed (-1
    /// before attaching).
    private(set) var contextSignal: Int32 = -1
    /// Threads sleeping with `contextSignal` in their wait (`beginContextWatch`).
    private var contextWatchers = 0
    /// Watches begun by program threads so far: the library's thread stands by while it grows.
    private var programWatches: UInt64 = 0
    /// A watcher read the context's signal empty while others still sleep on it: the next
    /// `pollContext` arms the context again (`endContextWatch`).
    private var owesArm = false
    /// Context events handled so far: the library's thread's sign of life from the service.
    private var dispatches: UInt64 = 0

    private init(generation: UInt32) {
        self.generation = generation
        sem_init(attached, 0, 0)
    }

    var context: Context? {
        if case .attached(let context, _) = attachment { return context }
        return nil
    }

    var address: IPv4Address {
        if case .attached(_, let address) = attachment { return address }
        return .any
    }

    // MARK: Attaching and driving

    /// Attaches at the first call (see the type); 0, or -EAFNOSUPPORT once attaching failed.
    func attach() -> Int32 {
        while true {
            switch attachment {
            case .attached: return 0
            case .failed: return -EAFNOSUPPORT
            case .attaching:
                flexposix_unlock()
                usleep(1000)
                flexposix_lock()
            case .detached:
                attachment = .attaching
                flexposix_unlock()
                startThread()
                sem_wait(attached)
                flexposix_lock()
            }
        }
    }

    private func startThread() {
        var thread = pthread_t()
        let argument = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            Unmanaged<Engine>.fromOpaque(argument!).takeRetainedValue().serve()
            return nil
        }, argument)
        if created != 0 {
            Unmanaged<Engine>.fromOpaque(argument).release()
            flexposix_lock()
            attachment = .failed
            flexposix_unlock()
            flexposix_report("flextcp: cannot start the library's thread; TCP sockets of this process fail (EAFNOSUPPORT)")
            sem_post(attached)
        } else {
            pthread_detach(thread)
        }
    }

    /// The library's thread: attach, then drive the context until the process ends.
    private func serve() {
        var signals = sigset_t()
        sigfillset(&signals)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let path = FlexTCPStack.defaultServicePath
        do {
            try FlexTCPStack.withAttachedStack(service: path) { stack in
                let context = try stack.makeContext()
                let serviceSocket = stack.serviceSocket ?? -1
                flexposix_set_service_socket(serviceSocket)
                flexposix_lock()
                attachment = .attached(context, stack.address)
                contextSignal = context.wakeupDescriptor
                flexposix_unlock()
                sem_post(attached)
                drive(context, serviceSocket: serviceSocket)
            }
        } catch {
            flexposix_lock()
            attachment = .failed
            flexposix_unlock()
            flexposix_report("flextcp: cannot attach to flextcpd at \(path): \(error); TCP sockets of this process fail (EAFNOSUPPORT)")
            sem_post(attached)
        }
    }

    /// Handles what the service publishes for the context until the service hangs up
    /// (`serviceEnded`: the attach socket polls readable after `quietPeriod` without events). While
    /// program threads watch the context themselves (now, or since the last look) it stands by,
    /// leaving the context to them (the one that takes its signal arms it again for the others,
    /// `endContextWatch`), and looks at the watches again after `standby` ns (doubling up to
    /// `quietPeriod` while the same watch lasts); otherwise it watches the context's signal itself
    /// (or `quietPeriod` passes: a queue that was full may have room). So the events of a program
    /// that waits outside the library (its sockets' readable mirrors) are handled within 1 ms of a
    /// busy program's last watch.
    private func drive(_ context: Context, serviceSocket: Int32) {
        flexposix_lock()
        var seenWatches = programWatches
        var seenDispatches = dispatches
        var quietSince = monotonicNow()
        var pause = Self.standby
        while true {
            if contextWatchers > 0 || programWatches != seenWatches {
                pause = programWatches != seenWatches ? Self.standby : min(2 * pause, Self.quietPeriod)
                seenWatches = programWatches
                flexposix_unlock()
                _ = flexposix_real_ppoll(nil, 0, pause, nil)
                flexposix_lock()
            } else {
                let ready = beginContextWatch(byProgram: false)
                var entry = pollfd(fd: contextSignal, events: Int16(POLLIN), revents: 0)
                flexposix_unlock()
                if !ready { _ = flexposix_real_ppoll(&entry, 1, Self.quietPeriod, nil) }
                flexposix_lock()
                endContextWatch(signalled: entry.revents != 0)
                pollContext()
            }
            let now = monotonicNow()
            if dispatches != seenDispatches {
                seenDispatches = dispatches
                quietSince = now
            } else if now - quietSince >= Self.quietPeriod && hasHungUp(serviceSocket) {
                serviceEnded()
                flexposix_unlock()
                return
            }
        }
    }

    /// How long the library's thread sleeps at most: it checks for the service's hang-up after this
    /// long without events (100 ms).
    static let quietPeriod: Int64 = 100_000_000
    /// How long the library's thread stands by while program threads watch the context (1 ms).
    static let standby: Int64 = 1_000_000

    /// Before a thread sleeps in the library (under the lock): arms the context's wake-up, so that
    /// the thread can wait for `contextSignal` itself together with its own descriptors and handle
    /// what the service published once woken. True when something is there already (then poll the
    /// context instead of sleeping). Either way `endContextWatch` follows, under the lock.
    func beginContextWatch(byProgram: Bool = true) -> Bool {
        guard let context else { return false }
        contextWatchers += 1
        if byProgram { programWatches &+= 1 }
        return context.armForSleep()
    }

    /// Ends a watch (under the lock): the last watcher disarms the wake-up; a watcher woken by the
    /// context's signal (`signalled`) reads it empty and must poll the context (`pollContext`)
    /// before it lets go of the lock. The service disarms the context when it signals, so while
    /// other watchers sleep on, that poll arms it again (`owesArm`). Watchers the signal also woke
    /// see its events through `notify`; the others sleep on (an event of none of their sockets, or
    /// none at all, as a bare acknowledgment).
    func endContextWatch(signalled: Bool) {
        guard let context else { return }
        contextWatchers -= 1
        if signalled { flexposix_eventfd_drain(contextSignal) }
        if contextWatchers == 0 { context.disarmSleep() }
        owesArm = signalled && contextWatchers > 0
    }

    /// The attach socket says goodbye or hung up (the service shut down or died).
    private func hasHungUp(_ socket: Int32) -> Bool {
        var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return flexposix_real_ppoll(&entry, 1, 0, nil) == 1
    }

    /// flextcpd is gone: every socket fails (connections with ECONNRESET, listeners with
    /// ECONNABORTED, as a kernel socket whose stack went away would), whoever waits is woken, and
    /// new sockets fail with EAFNOSUPPORT.
    private func serviceEnded() {
        flexposix_report("flextcp: flextcpd went away; the TCP sockets of this process fail from now on")
        attachment = .failed
        contextSignal = -1  // closed with the attachment: no wait may name it any more
        var seen = Set<ObjectIdentifier>()
        for socket in Array(sockets.values) + Array(byConnection.values) where seen.insert(ObjectIdentifier(socket)).inserted {
            switch socket.phase {
            case .opening, .listening: socket.pendingError = ECONNABORTED
            case .connecting, .connected: socket.pendingError = ECONNRESET
            case .fresh, .failed: break
            }
            if case .opening = socket.phase { socket.listenResult = ECONNABORTED }
            socket.phase = .failed
            notify(socket)
        }
        byConnection.removeAll()
        byListener.removeAll()
        acceptsFor.removeAll()
        acceptsAwaitingEvent.removeAll()
    }

    /// Turns the context's events into socket state (under the lock). After a watcher read the
    /// context's signal empty while others sleep on it (`owesArm`), it arms the context again and
    /// polls until the arm finds nothing published (a poll takes a batch of the receive queue), so
    /// whatever comes later signals the sleepers; after `armedLooks` polls it leaves the rest to
    /// them, signalling the context itself.
    func pollContext() {
        guard let context else { return }
        handleEvents(context)
        guard owesArm else { return }
        owesArm = false
        var looks = 0
        while context.armForSleep() {
            guard looks < Self.armedLooks else {
                flexposix_eventfd_signal(contextSignal)
                return
            }
            looks += 1
            handleEvents(context)
        }
    }

    /// How many polls a watcher that armed the context again makes at most (a full receive queue
    /// of the service's 256 entries is four polls of 64).
    static let armedLooks = 4

    private func handleEvents(_ context: Context) {
        context.poll { event in
            dispatches &+= 1
            retryAccepts()
            dispatch(event, context)
        }
        while !afterPoll.isEmpty {
            let actions = afterPoll
            afterPoll.removeAll()
            for action in actions { action() }
        }
    }

    private func dispatch(_ event: ContextEvent, _ context: Context) {
        switch event {
        case .listening(let listener):
            guard let socket = byListener[ObjectIdentifier(listener)] else { return }
            socket.phase = .listening(listener)
            socket.listenResult = 0
            notify(socket)
        case .listenFailed(let listener, let error):
            guard let socket = byListener.removeValue(forKey: ObjectIdentifier(listener)) else { return }
            socket.phase = .fresh
            socket.listenResult = error.errnoValue
            notify(socket)
        case .listenerClosed(let listener):
            byListener[ObjectIdentifier(listener)] = nil
        case .incomingConnection(let listener, _, _):
            guard let socket = byListener[ObjectIdentifier(listener)], case .listening = socket.phase else { return }
            socket.connectionsWaitingInService += 1
            if socket.asksAhead {
                afterPoll.append { [self] in takeNextConnection(for: socket) }
            } else {
                notify(socket)  // backlog 0: readable now, the connection waiting in the service
            }
        case .accepted(let connection):
            guard let listening = acceptsFor.removeValue(forKey: ObjectIdentifier(connection)) else { return }
            listening.isAcceptUnderWay = false
            listening.isAcceptWanted = false
            let socket = PosixSocket(nonBlocking: false)
            socket.phase = .connected(connection)
            socket.options = listening.options
            byConnection[ObjectIdentifier(connection)] = socket
            if case .listening = listening.phase, !listening.isOrphaned {
                listening.acceptQueue.append(socket)
                notify(listening)
            } else {
                afterPoll.append { [self] in orphan(socket) }
            }
        case .acceptFailed(let connection, let error):
            guard let listening = acceptsFor.removeValue(forKey: ObjectIdentifier(connection)) else { return }
            listening.isAcceptUnderWay = false
            // Unless the listener closed, the connection asked for still waits in the service: ask again,
            // at once, or after the next event when the service answered at once that it had no room or
            // did not know the listener (asked again at once, it would answer the same: a busy loop).
            if error != .closed { listening.connectionsWaitingInService += 1 }
            if error == .resourcesExhausted || error == .unknownConnection {
                listening.acceptWaitsForEvent = true
                acceptsAwaitingEvent.append(listening)
            } else {
                afterPoll.append { [self] in takeNextConnection(for: listening) }
            }
        case .connected(let connection):
            guard let socket = byConnection[ObjectIdentifier(connection)] else { return }
            socket.phase = .connected(connection)
            if socket.isOrphaned { afterPoll.append { [self] in orphan(socket) } }
            notify(socket)
        case .connectFailed(let connection, let error):
            guard let socket = byConnection.removeValue(forKey: ObjectIdentifier(connection)) else { return }
            socket.phase = .failed
            socket.pendingError = error.errnoValue
            notify(socket)
        case .received(let connection, _), .endOfStream(let connection):
            guard let socket = byConnection[ObjectIdentifier(connection)] else { return }
            if socket.isOrphaned { afterPoll.append { context.freeReceivedBytes(connection.unfreedByteCount, of: connection) } }
            notify(socket)
        case .sendSpaceAvailable(let connection):
            guard let socket = byConnection[ObjectIdentifier(connection)] else { return }
            // Below the writable threshold still: ask again, so the next acknowledgment tells.
            if connection.sendSpace < PosixSocket.writableThreshold(connection) { afterPoll.append { [self] in wantSendSpace(connection) } }
            notify(socket)
        case .closed(let connection, let error):
            guard let socket = byConnection.removeValue(forKey: ObjectIdentifier(connection)) else { return }
            if let error, !socket.isOrphaned, socket.pendingError == 0 { socket.pendingError = error.errnoValue }
            notify(socket)
        case .moved, .moveFailed, .movedIn:
            break  // this library never moves connections: one context serves every thread
        }
    }

    /// Asks the service for the listener's next connection when one waits there and the library
    /// holds none for accept() (nor asks for one already). So the listener's established but not
    /// accepted connections are its service backlog (listen's backlog, bounded by the slow path, which
    /// leaves further SYNs unanswered) plus this one: Linux's backlog + 1, and a program slow to
    /// accept holds no more of its application's ring pairs than that. With backlog 0 the service
    /// keeps 1 and the library asks only for an accept() under way (`asksAhead`): 1 in all, as Linux.
    func takeNextConnection(for socket: PosixSocket) {
        guard case .listening(let listener) = socket.phase, !socket.isOrphaned, !socket.isAcceptUnderWay,
              !socket.acceptWaitsForEvent, socket.asksAhead || socket.isAcceptWanted,
              socket.acceptQueue.isEmpty, socket.connectionsWaitingInService > 0,
              let context, let connection = context.accept(on: listener) else { return }
        socket.connectionsWaitingInService -= 1
        socket.isAcceptUnderWay = true
        acceptsFor[ObjectIdentifier(connection)] = socket
    }

    /// The listeners whose accept request found no room in the service ask again (after this event).
    private func retryAccepts() {
        guard !acceptsAwaitingEvent.isEmpty else { return }
        for socket in acceptsAwaitingEvent {
            socket.acceptWaitsForEvent = false
            afterPoll.append { [self] in takeNextConnection(for: socket) }
        }
        acceptsAwaitingEvent.removeAll()
    }

    /// Asks the context to report `sendSpaceAvailable` at the next acknowledgment (a reservation
    /// larger than the space, of which nothing is sent).
    func wantSendSpace(_ connection: Connection) {
        _ = context?.reserveSendSpace(connection.sendSpace + 1, on: connection)
    }

    // MARK: Sockets and descriptors

    func add(_ socket: PosixSocket, descriptor: Int32) {
        sockets[descriptor] = socket
        socket.descriptors.append(descriptor)
        flexposix_set_kind(descriptor, Int32(FLEXPOSIX_SOCKET.rawValue))
        updateMirror(socket)
    }

    /// `descriptor` no longer names its socket (closed or replaced by dup2): its epoll interests
    /// go; the socket is released when it was the last descriptor.
    func forget(_ descriptor: Int32) {
        guard let socket = sockets.removeValue(forKey: descriptor) else { return }
        flexposix_set_kind(descriptor, Int32(FLEXPOSIX_KERNEL.rawValue))
        socket.descriptors.removeAll { $0 == descriptor }
        for membership in socket.memberships where membership.descriptor == descriptor {
            membership.set.interests[descriptor] = nil
        }
        socket.memberships.removeAll { $0.descriptor == descriptor }
        if socket.descriptors.isEmpty { release(socket) }
    }

    /// The program let go of the socket: a connection is closed (FIN after the bytes sent; what
    /// still arrives is dropped), a listener closed with the connections it had not handed out.
    private func release(_ socket: PosixSocket) {
        socket.isOrphaned = true
        guard let context else { return }
        switch socket.phase {
        case .fresh, .failed, .connecting:
            break  // a connect still under way is closed when it completes (`dispatch`)
        case .opening(let listener), .listening(let listener):
            closeListener(listener, of: socket)
        case .connected:
            orphan(socket)
        }
    }

    /// Closes the socket's listener and the connections it holds for accept() (their peers see a
    /// reset, as Linux's closed listener gives them); a connection still being accepted is closed
    /// when it arrives (`dispatch`, the listener no longer listening).
    func closeListener(_ listener: Listener, of socket: PosixSocket) {
        context?.close(listener)
        for waiting in socket.acceptQueue { orphan(waiting) }
        socket.acceptQueue.removeAll()
    }

    /// Closes a connection nobody holds any more, dropping what it received.
    private func orphan(_ socket: PosixSocket) {
        socket.isOrphaned = true
        guard let context, let connection = socket.connection, connection.isOpen else { return }
        context.freeReceivedBytes(connection.unfreedByteCount, of: connection)
        context.close(connection)
        context.flush()
    }

    /// The process exits: every connection is closed (as exit closes every descriptor), and the
    /// exit waits until their bytes are acknowledged, at most `exitLinger` ns. Linux sends them
    /// after the process is gone; here the process's hang-up would reset what is still unsent.
    func finishAtExit() {
        guard context != nil else { return }
        for descriptor in Array(sockets.keys) { forget(descriptor) }
        let limit = deadline(after: Self.exitLinger)
        while byConnection.values.contains(where: { ($0.connection?.isOpen ?? false) && $0.connection!.unacknowledgedByteCount > 0 }),
              monotonicNow() < limit {
            flexposix_unlock()
            usleep(1000)
            flexposix_lock()
            pollContext()
        }
    }

    /// How long an exit waits for unacknowledged bytes (10 s).
    static let exitLinger: Int64 = 10_000_000_000

    // MARK: Readiness

    /// The socket changed: its readable mirror follows, and every waiter and epoll set is told.
    func notify(_ socket: PosixSocket) {
        updateMirror(socket)
        // The thread handling the event looks at its sockets afterwards anyway.
        let own = flexposix_thread_wake_if_made()
        for watcher in socket.watchers where watcher != own { flexposix_eventfd_signal(watcher) }
        for membership in socket.memberships { membership.set.changed(membership.descriptor) }
    }

    /// Keeps the eventfd counter non-zero exactly while the socket is readable.
    func updateMirror(_ socket: PosixSocket) {
        let readable = socket.isReadable
        guard readable != socket.isMirrorSet, let descriptor = socket.descriptors.first else { return }
        if readable { flexposix_eventfd_signal(descriptor) } else { flexposix_eventfd_drain(descriptor) }
        socket.isMirrorSet = readable
    }

    /// Releases the lock and sleeps until `socket` changes, the service publishes for the context,
    /// `deadline` (monotonic ns; -1: none) passes or a signal handler runs; the lock is held again
    /// on return, the context polled. Returns 0, -EINTR, or -EAGAIN when the deadline passed. A
    /// `restartable` call (accept, recv, send or connect on a socket without SO_RCVTIMEO/SO_SNDTIMEO,
    /// signal(7)) interrupted by SA_RESTART handlers returns 0: the caller goes on waiting, as Linux
    /// restarts it.
    func block(on socket: PosixSocket, deadline: Int64, restartable: Bool) -> Int {
        let wake = flexposix_thread_wake()
        socket.watchers.append(wake)
        let ready = beginContextWatch()
        var entries = (pollfd(fd: wake, events: Int16(POLLIN), revents: 0), pollfd(fd: contextSignal, events: Int16(POLLIN), revents: 0))
        flexposix_unlock()
        var result: Int32 = 0
        var code: Int32 = 0
        if !ready {
            result = withUnsafeMutablePointer(to: &entries) {
                $0.withMemoryRebound(to: pollfd.self, capacity: 2) {
                    flexposix_real_ppoll($0, 2, deadline < 0 ? -1 : max(0, deadline - monotonicNow()), nil)
                }
            }
            code = errno
        }
        if entries.0.revents != 0 { flexposix_eventfd_drain(wake) }
        flexposix_lock()
        endContextWatch(signalled: entries.1.revents != 0)
        if let index = socket.watchers.firstIndex(of: wake) { socket.watchers.remove(at: index) }
        pollContext()
        if result < 0 && code == EINTR { return restartable && flexposix_interrupt_restarts() != 0 ? 0 : -Int(EINTR) }
        if deadline >= 0 && monotonicNow() >= deadline { return -Int(EAGAIN) }
        return 0
    }
}

/// The monotonic clock in nanoseconds.
func monotonicNow() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// A deadline `timeout` ns from now (saturated at Int64.max), or -1 for none (a negative timeout).
func deadline(after timeout: Int64) -> Int64 {
    guard timeout >= 0 else { return -1 }
    let (sum, overflow) = monotonicNow().addingReportingOverflow(timeout)
    return overflow ? Int64.max : sum
}

extension TCPError {
    /// The errno value a kernel socket gives for this failure.
    var errnoValue: Int32 {
        switch self {
        case .refused: ECONNREFUSED
        case .unreachable: EHOSTUNREACH
        case .timedOut: ETIMEDOUT
        case .reset: ECONNRESET
        case .addressInUse: EADDRINUSE
        case .invalidArgument, .foreignContext: EINVAL
        case .resourcesExhausted: ENOBUFS
        case .closed: EPIPE
        case .unknownConnection: ENOTCONN
        case .noContextAvailable: EMFILE
        case .stopped: ENETDOWN
        case .cancelled: EINTR
        }
    }
}
