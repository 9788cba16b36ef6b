import CFlexShim
import FlexPort
#if canImport(Glibc)
import Glibc
#endif

/// Both ends of a loopback workload's connections on one io_uring, driven by one thread: every
/// receive and send is a ring entry, and one `io_uring_enter` submits what the sessions produced
/// and collects what completed.
///
/// Contract: as `OneThreadDriver`, for workloads with a fixed set of connections (echo, one-way,
/// bulk; not churn). The connections are made before the start barrier (blocking sockets with
/// TCP_NODELAY, so the kernel parks a receive that would wait). Each connection end keeps at most one
/// receive (of at most `bufferSize` bytes and the session's `receiveLimit`) and one send (of a copy
/// of the session's first pending bytes) in flight. A completion with an error counts one error on
/// its endpoint and closes that end; nothing that completes at or after the window's end reaches a
/// session.
final class URingLoopbackPair: OneThreadDriver {
    /// One connection end: its socket, its session and what it has in flight.
    private struct End {
        var descriptor: Int32 = -1
        var session: Session?
        var receiving = false
        var sending = false
    }

    /// Bytes per receive and per send entry.
    static let bufferSize = 8192
    /// The longest single wait in `io_uring_enter`, so that the timeline is looked at promptly.
    static let longestWaitNanoseconds: Int64 = 2_000_000

    let server: WorkloadEndpoint
    let client: WorkloadEndpoint
    private let ring: OpaquePointer
    /// Ends 2i (server side) and 2i+1 (client side) are connection i.
    private var ends: [End]
    /// Per end: a receive buffer, then a send buffer.
    private let buffers: UnsafeMutableRawPointer
    private let clock = MonotonicTimeSource()
    private var windowEnd: UInt64 = .max
    private var stopping = false

    /// Why io_uring cannot be used here, or nil if a ring can be made (a throw-away ring is made to tell).
    static func unavailableReason() -> String? {
        guard let ring = flexshim_uring_open(8) else {
            let code = errno
            return "the kernel refuses io_uring: io_uring_setup failed: \(String(cString: strerror(code))) (errno \(code))"
        }
        flexshim_uring_close(ring)
        return nil
    }

    init(_ spec: WorkloadSpec) throws(BenchmarkFailure) {
        try LinuxWorkers.ensureDescriptorLimit(2 * spec.connections + LinuxWorkers.spareDescriptors)
        server = WorkloadEndpoint(spec: spec, role: .server)
        client = WorkloadEndpoint(spec: spec, role: .client)
        var entries: UInt32 = 8
        while entries < UInt32(4 * spec.connections) { entries <<= 1 }
        guard let ring = flexshim_uring_open(entries) else { throw LinuxSocket.failure("io_uring_setup") }
        self.ring = ring
        ends = Array(repeating: End(), count: 2 * spec.connections)
        buffers = .allocate(byteCount: 2 * Self.bufferSize * ends.count, alignment: 64)
        // A throw from here on runs deinit, which releases what was made.
        try connectPairs(spec.connections)
    }

    deinit {
        closeAll()
        flexshim_uring_close(ring)
        buffers.deallocate()
    }

    func begin(window: MeasurementWindow) throws(BenchmarkFailure) {
        windowEnd = window.end
        let now = clock.now()
        for index in ends.indices {
            let session = (index % 2 == 0 ? server : client).makeSession(now: now)
            ends[index].session = session
            session.opened(now: now)
        }
        for index in ends.indices { try arm(index) }
    }

    func pass(boundary: UInt64) throws(BenchmarkFailure) {
        let now = clock.now()
        let wait = boundary > now ? min(Int64(boundary - now), Self.longestWaitNanoseconds) : 0
        let entered = flexshim_uring_submit_and_wait(ring, wait > 0 ? 1 : 0, wait)
        guard entered == 0 else { throw LinuxSocket.failure("io_uring_enter", code: -entered) }
        var tag: UInt64 = 0
        var result: Int32 = 0
        while flexshim_uring_next_completion(ring, &tag, &result) == 1 {
            let index = Int(tag >> 1)
            if tag & 1 == 1 { ends[index].sending = false } else { ends[index].receiving = false }
            guard !stopping, let session = ends[index].session else { continue }
            let completed = clock.now()
            if completed >= windowEnd {
                stopping = true
                continue
            }
            if tag & 1 == 1 {
                if result > 0 { session.sent(Int(result), now: completed) } else if !isRetry(result) { broke(index) }
            } else if result > 0 {
                session.received(UnsafeRawBufferPointer(start: receiveBuffer(index), count: Int(result)), now: completed)
            } else if result == 0 {
                session.peerFinished()
            } else if !isRetry(result) {
                broke(index)
            }
            try arm(index)
        }
    }

    func closeAll() {
        for index in ends.indices where ends[index].descriptor >= 0 {
            close(ends[index].descriptor)
            ends[index] = End()
        }
    }

    // MARK: Per connection end

    /// Queues a receive and a send for the end if it has none in flight and its session wants one;
    /// closes the end if its session is done.
    private func arm(_ index: Int) throws(BenchmarkFailure) {
        guard let session = ends[index].session, ends[index].descriptor >= 0 else { return }
        if session.shouldClose {
            close(ends[index].descriptor)
            ends[index] = End()
            return
        }
        let descriptor = ends[index].descriptor
        if !ends[index].receiving && session.receiveLimit > 0 {
            let length = UInt32(min(session.receiveLimit, Self.bufferSize))
            try queued(flexshim_uring_queue_recv(ring, descriptor, receiveBuffer(index), length, UInt64(index) << 1))
            ends[index].receiving = true
        }
        let pending = session.pending
        if !ends[index].sending, let base = pending.baseAddress, pending.count > 0 {
            // A copy: the session may move its pending bytes before the send completes.
            let length = min(pending.count, Self.bufferSize)
            let copy = sendBuffer(index)
            copy.copyMemory(from: base, byteCount: length)
            try queued(flexshim_uring_queue_send(ring, descriptor, copy, UInt32(length), UInt64(index) << 1 | 1))
            ends[index].sending = true
        }
    }

    private func queued(_ code: Int32) throws(BenchmarkFailure) {
        if code != 0 { throw LinuxSocket.failure("queueing an io_uring entry", code: -code) }
    }

    private func isRetry(_ result: Int32) -> Bool { result == -EINTR || result == -EAGAIN }

    /// The end failed mid-run (reset, broken pipe): one error for its endpoint, and it is closed.
    private func broke(_ index: Int) {
        (index % 2 == 0 ? server : client).metrics.errors &+= 1
        close(ends[index].descriptor)
        ends[index] = End()
    }

    private func receiveBuffer(_ index: Int) -> UnsafeMutableRawPointer { buffers + 2 * Self.bufferSize * index }
    private func sendBuffer(_ index: Int) -> UnsafeMutableRawPointer { receiveBuffer(index) + Self.bufferSize }

    // MARK: Setup

    /// Opens `count` loopback connections (client end connects, server end is accepted) and makes
    /// both ends blocking.
    private func connectPairs(_ count: Int) throws(BenchmarkFailure) {
        let (listener, bound) = try LinuxSocket.listen(on: IPv4Endpoint.loopback)
        defer { close(listener) }
        for pair in 0..<count {
            let connecting = try LinuxSocket.makeStreamSocket()
            ends[2 * pair + 1].descriptor = connecting
            let code = LinuxSocket.startConnect(connecting, to: bound)
            if code != 0 { throw LinuxSocket.failure("connect to \(bound)", code: code) }
            ends[2 * pair].descriptor = try acceptOne(listener)
        }
        for end in ends {
            let code = LinuxSocket.pendingError(end.descriptor)
            if code != 0 { throw LinuxSocket.failure("connect to \(bound)", code: code) }
            let flags = fcntl(end.descriptor, F_GETFL)
            guard flags >= 0, fcntl(end.descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else { throw LinuxSocket.failure("fcntl(F_SETFL)") }
        }
    }

    /// The next connection on `listener`, waiting up to a second for it.
    private func acceptOne(_ listener: Int32) throws(BenchmarkFailure) -> Int32 {
        while true {
            let descriptor = flexshim_accept_nonblocking(listener)
            if descriptor >= 0 { return descriptor }
            let code = errno
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else { throw LinuxSocket.failure("accept4", code: code) }
            var waiting = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            if poll(&waiting, 1, 1000) == 0 { throw BenchmarkFailure("a loopback connection was not accepted within a second") }
        }
    }
}
