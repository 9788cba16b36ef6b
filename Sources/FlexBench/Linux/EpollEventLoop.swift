import CFlexShim
import FlexPort
#if canImport(Glibc)
import Glibc
#endif

/// The Linux baseline's event loop: one worker thread's TCP connections on one level-triggered
/// epoll instance, each driven through its `Session` — the same workload code every system runs.
///
/// Contract:
/// - Sockets are non-blocking with TCP_NODELAY. Reads are batched into one scratch buffer, up to
///   the session's `receiveLimit`, until the socket is drained; writes go straight from the
///   session's `pending` bytes until the socket is full. Each connection moves at most
///   `bytesPerTurn` each way per event, so no connection holds up the others or the timeline.
///   EPOLLOUT is asked for only while a session has output waiting, EPOLLIN only while it takes
///   input.
/// - A server accepts every waiting connection; a client keeps `connections` connections, opened
///   with non-blocking connects, and opens a new one when a session closes if its endpoint
///   `reconnects`. Connects that fail within `connectRetry` ns of the first are retried; later a
///   failed connect throws, or for a reconnecting client counts an error and is retried. A
///   connect that finds no free local port waits for one (that limits the churn rate, as it does
///   for any Linux client).
/// - A connection that fails mid-run (reset, unexpected end) counts one error on the endpoint and
///   is closed; a failure to get resources (descriptors, memory) throws a
///   `BenchmarkFailure` in words.
/// - Nothing that happens at or after the measured window's end reaches a session: the peer
///   closing its sockets when the run ends is not an error.
/// - The owner calls `closeAll()` before the loop goes away.
/// - A `busyPolling` loop never sleeps: epoll_wait is called with timeout 0 in a spinning loop.
/// - `run` drives the loop on its own; a caller that drives several loops on one thread calls
///   `begin(window:)` once and then `poll(waitMilliseconds:)` as it likes.
final class EpollEventLoop {
    /// Per-descriptor state; the table is indexed by descriptor, which is also the epoll token.
    private struct Connection {
        var session: Session?
        var connecting = false
        var interest: UInt32 = 0
    }

    /// The longest single wait in epoll_wait, so that phases and failures are noticed promptly.
    static let longestWaitMilliseconds: UInt64 = 2
    static let scratchSize = 256 * 1024
    static let bytesPerTurn = 1 << 20
    static let eventCapacity = 512

    let endpoint: WorkloadEndpoint
    /// How long connects may be refused before that counts (a server still coming up).
    let connectRetry: UInt64
    /// Whether `run` spins on epoll_wait with timeout 0 instead of sleeping in it.
    let busyPolling: Bool
    /// The epoll instance (readable while a connection has an event: pollable from an outer epoll).
    let epoll: Int32
    private let events: UnsafeMutablePointer<epoll_event>
    private let scratch: UnsafeMutableRawPointer
    private let clock = MonotonicTimeSource()
    private var connections: [Connection] = []
    private var listener: Int32 = -1
    private var target: IPv4Endpoint?
    private var connectionsWanted = 0
    private var connectionsOpen = 0
    private var connectDeadline: UInt64 = 0
    private var windowEnd: UInt64 = .max
    private var stopping = false

    init(endpoint: WorkloadEndpoint, busyPolling: Bool = false, connectRetry: UInt64 = 1_000_000_000) throws(BenchmarkFailure) {
        self.endpoint = endpoint
        self.busyPolling = busyPolling
        self.connectRetry = connectRetry
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw LinuxSocket.failure("epoll_create1") }
        events = .allocate(capacity: Self.eventCapacity)
        events.initialize(repeating: epoll_event(), count: Self.eventCapacity)
        scratch = .allocate(byteCount: Self.scratchSize, alignment: 64)
    }

    deinit {
        closeAll()
        close(epoll)
        events.deallocate()
        scratch.deallocate()
    }

    /// Makes the loop accept connections on `descriptor` (a listening socket it now owns).
    func serve(listener descriptor: Int32) throws(BenchmarkFailure) {
        listener = descriptor
        try register(descriptor, interest: UInt32(EPOLLIN.rawValue))
    }

    /// Opens `count` connections to `server` (the run has started: the server is listening).
    func connect(to server: IPv4Endpoint, count: Int) throws(BenchmarkFailure) {
        target = server
        connectionsWanted = count
        connectDeadline = clock.now() &+ connectRetry
        try openMissingConnections()
    }

    /// Runs until the timeline ends (or the run fails).
    func run(_ timeline: inout WorkerTimeline) throws(BenchmarkFailure) {
        begin(window: timeline.window)
        while timeline.advance(now: clock.now(), endpoint: endpoint) {
            try poll(waitMilliseconds: busyPolling ? 0 : waitMilliseconds(until: timeline.nextBoundary))
        }
    }

    /// Makes the loop hand nothing to sessions at or after the end of `window`.
    func begin(window: MeasurementWindow) { windowEnd = window.end }

    /// One round: opens missing connections, waits up to `waitMilliseconds` for events and serves
    /// them; returns how many descriptors had events.
    @discardableResult
    func poll(waitMilliseconds: Int32) throws(BenchmarkFailure) -> Int {
        try openMissingConnections()
        let ready = epoll_wait(epoll, events, Int32(Self.eventCapacity), waitMilliseconds)
        if ready < 0 {
            if errno == EINTR { return 0 }
            throw LinuxSocket.failure("epoll_wait")
        }
        for index in 0..<Int(ready) where !stopping {
            let descriptor = events[index].data.fd
            if descriptor == listener {
                try acceptWaiting()
            } else {
                try service(descriptor, events: events[index].events)
            }
        }
        return Int(ready)
    }

    /// Closes every socket (connections and listener). Idempotent.
    func closeAll() {
        for index in connections.indices where connections[index].session != nil { close(Int32(index)) }
        if listener >= 0 { close(listener) }
        connections.removeAll()
        listener = -1
        connectionsWanted = 0
        connectionsOpen = 0
    }

    /// Milliseconds until `boundary`, rounded up, at most `longestWaitMilliseconds`.
    func waitMilliseconds(until boundary: UInt64) -> Int32 {
        let now = clock.now()
        guard boundary > now else { return 0 }
        return Int32(min((boundary - now + 999_999) / 1_000_000, Self.longestWaitMilliseconds))
    }

    // MARK: Server side

    private func acceptWaiting() throws(BenchmarkFailure) {
        while true {
            let descriptor = flexshim_accept_nonblocking(listener)
            guard descriptor >= 0 else {
                let code = errno
                switch code {
                case EAGAIN, EWOULDBLOCK: return
                // The connection went away before it was accepted, or a signal interrupted the call.
                case EINTR, ECONNABORTED, EPROTO: continue
                default: throw LinuxSocket.failure("accept4", code: code)
                }
            }
            let now = clock.now()
            let session = endpoint.makeSession(now: now)
            try adopt(descriptor, session: session, connecting: false)
            session.opened(now: now)
            try progress(descriptor, session)
        }
    }

    // MARK: Client side

    private func openMissingConnections() throws(BenchmarkFailure) {
        guard let target else { return }
        // One attempt per missing connection per round, so that failing connects cannot hold up the loop.
        for _ in 0..<max(connectionsWanted - connectionsOpen, 0) {
            let session = endpoint.makeSession(now: clock.now())
            let descriptor = try LinuxSocket.makeStreamSocket()
            let code = LinuxSocket.startConnect(descriptor, to: target)
            if code == EADDRNOTAVAIL {
                // No local port is free towards the server (TIME_WAIT); try again next round.
                close(descriptor)
                return
            }
            try adopt(descriptor, session: session, connecting: true)
            if code != 0 { try connectFailed(descriptor, code: code) }
        }
    }

    private func finishConnect(_ descriptor: Int32, _ session: Session, events: UInt32) throws(BenchmarkFailure) {
        let code = LinuxSocket.pendingError(descriptor)
        if code != 0 { return try connectFailed(descriptor, code: code) }
        guard events & UInt32(EPOLLOUT.rawValue) != 0 else { return }
        connections[Int(descriptor)].connecting = false
        session.opened(now: clock.now())
        try progress(descriptor, session)
    }

    private func connectFailed(_ descriptor: Int32, code: Int32) throws(BenchmarkFailure) {
        let now = clock.now()
        if now >= windowEnd { return stop() }
        if now < connectDeadline {
            closeConnection(descriptor, replace: true)
        } else if endpoint.reconnects {
            endpoint.metrics.errors &+= 1
            closeConnection(descriptor, replace: true)
        } else {
            throw LinuxSocket.failure("connect to \(target.map(String.init(describing:)) ?? "?")", code: code)
        }
    }

    // MARK: Both sides

    private func service(_ descriptor: Int32, events: UInt32) throws(BenchmarkFailure) {
        guard Int(descriptor) < connections.count, let session = connections[Int(descriptor)].session else { return }
        if connections[Int(descriptor)].connecting { return try finishConnect(descriptor, session, events: events) }
        let readable = UInt32(EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue)
        if events & readable != 0 {
            guard receive(descriptor, session) else { return }
        }
        try progress(descriptor, session)
    }

    /// Sends what the session has waiting, then closes the connection or updates its interest.
    private func progress(_ descriptor: Int32, _ session: Session) throws(BenchmarkFailure) {
        guard flush(descriptor, session) else { return }
        if session.shouldClose {
            closeConnection(descriptor, replace: endpoint.reconnects)
            return
        }
        var wanted: UInt32 = session.receiveLimit > 0 ? UInt32(EPOLLIN.rawValue) : 0
        if !session.pending.isEmpty { wanted |= UInt32(EPOLLOUT.rawValue) }
        if wanted != connections[Int(descriptor)].interest { try changeInterest(descriptor, to: wanted) }
    }

    /// Reads until the socket is drained, the session takes no more or the turn is used up; false if
    /// the connection is gone (or the run is over).
    private func receive(_ descriptor: Int32, _ session: Session) -> Bool {
        var moved = 0
        while moved < Self.bytesPerTurn {
            let limit = min(session.receiveLimit, Self.scratchSize)
            if limit == 0 { return true }
            let count = recv(descriptor, scratch, limit, 0)
            let code = count < 0 ? errno : 0
            let now = clock.now()
            if now >= windowEnd {
                stop()
                return false
            }
            if count > 0 {
                session.received(UnsafeRawBufferPointer(start: scratch, count: count), now: now)
                moved += count
                // A short read emptied the socket; level-triggered epoll reports what arrives later.
                if count < limit || session.shouldClose { return true }
            } else if count == 0 {
                session.peerFinished()
                return true
            } else if code == EAGAIN || code == EWOULDBLOCK {
                return true
            } else if code != EINTR {
                connectionBroke(descriptor)
                return false
            }
        }
        return true
    }

    /// Writes the session's pending bytes until they are gone, the socket is full or the turn is used
    /// up; false if the connection is gone (or the run is over).
    private func flush(_ descriptor: Int32, _ session: Session) -> Bool {
        var moved = 0
        while moved < Self.bytesPerTurn {
            let pending = session.pending
            if pending.isEmpty { return true }
            let count = send(descriptor, pending.baseAddress, pending.count, Int32(MSG_NOSIGNAL))
            let code = count < 0 ? errno : 0
            if count > 0 {
                session.sent(count, now: clock.now())
                moved += count
                // A short write filled the socket; EPOLLOUT reports when there is room again.
                if count < pending.count { return true }
            } else if code == EINTR {
                continue
            } else if count == 0 || code == EAGAIN || code == EWOULDBLOCK {
                return true
            } else {
                if clock.now() >= windowEnd {
                    stop()
                } else {
                    connectionBroke(descriptor)
                }
                return false
            }
        }
        return true
    }

    /// A connection failed mid-run: one error for the endpoint, and the connection is closed.
    private func connectionBroke(_ descriptor: Int32) {
        endpoint.metrics.errors &+= 1
        closeConnection(descriptor, replace: endpoint.reconnects)
    }

    /// The measured window is over: nothing more is handed to sessions.
    private func stop() { stopping = true }

    // MARK: Descriptor table

    private func adopt(_ descriptor: Int32, session: Session, connecting: Bool) throws(BenchmarkFailure) {
        if target != nil { connectionsOpen += 1 }
        let index = Int(descriptor)
        if index >= connections.count { connections.append(contentsOf: repeatElement(Connection(), count: index + 1 - connections.count)) }
        connections[index] = Connection(session: session, connecting: connecting)
        try register(descriptor, interest: connecting ? UInt32(EPOLLOUT.rawValue) : UInt32(EPOLLIN.rawValue))
    }

    private func register(_ descriptor: Int32, interest: UInt32) throws(BenchmarkFailure) {
        var event = epoll_event()
        event.events = interest
        event.data.fd = descriptor
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event) == 0 else { throw LinuxSocket.failure("epoll_ctl(ADD)") }
        if Int(descriptor) < connections.count { connections[Int(descriptor)].interest = interest }
    }

    private func changeInterest(_ descriptor: Int32, to interest: UInt32) throws(BenchmarkFailure) {
        var event = epoll_event()
        event.events = interest
        event.data.fd = descriptor
        guard epoll_ctl(epoll, EPOLL_CTL_MOD, descriptor, &event) == 0 else { throw LinuxSocket.failure("epoll_ctl(MOD)") }
        connections[Int(descriptor)].interest = interest
    }

    /// Closes a connection (which removes it from epoll). A client opens another in its place on
    /// its next round if `replace`, else it keeps one connection fewer.
    private func closeConnection(_ descriptor: Int32, replace: Bool) {
        close(descriptor)
        connections[Int(descriptor)] = Connection()
        guard target != nil else { return }
        connectionsOpen -= 1
        if !replace { connectionsWanted -= 1 }
    }
}
