import FlexPort
import FlexTCPCore
import FlexWire

/// An application context (dissertation A.4 "context"): one per thread, attached to one queue set
/// of a stack. It opens listeners and connections, reports their events from `poll`, and moves
/// bytes through each connection's rings: `freeReceivedBytes` hands received bytes back (A.4
/// rx_free), `reserveSendSpace` + `sendReserved` append bytes to send (A.4 tx_alloc, tx_send).
///
/// Get one from `FlexTCPStack.makeContext()`. Contract: used by one thread at a time (hand it to
/// another thread only when the first is done with it); never blocks except in `wait`. Operations
/// never fail for a full queue: what does not fit is kept and handed over at the next `poll` or
/// `wait`, in order (send/free counts before the close that follows them). Every operation's outcome
/// arrives as an event from `poll`; operations on handles this context does not hold are ignored
/// or answered with a failure event, never a trap.
public final class Context {
    let attachment: ContextAttachment
    let endpoint: ApplicationContextEndpoint
    var nextOpaque: UInt64 = 1
    var listeners: [UInt64: Listener] = [:]
    /// Connections whose accept or connect has not completed, by opaque.
    var opening: [UInt64: Connection] = [:]
    /// Open connections by flow index.
    var connections: [Connection?]
    /// Connections the runtime is done with (their flow index reopened for another connection)
    /// whose last completion or receive entries have not all arrived, moved out of `connections`
    /// (by opaque, so that one flow index reused twice keeps both).
    var retiring: [UInt64: Connection] = [:]
    /// Send/free counts of held connections not yet in the transmit queue, by flow index, in the
    /// order they got them.
    let pendingUpdates: PendingUpdates
    /// Requests that did not fit in the request queue, oldest first; a close waits for its
    /// connection's counts to be in the transmit queue.
    var requests: [(request: SlowPathRequest, connection: Connection?)] = []
    let flowEntries: UnsafeMutableBufferPointer<ReceiveQueueEntry>
    let eventEntries: UnsafeMutableBufferPointer<SlowPathEvent>
    /// Receive-queue entries for flows this context does not (or no longer) hold.
    package internal(set) var staleEntries: UInt64 = 0
    /// Entries of this context the runtime refused (a bug of this library: it never sends one on purpose).
    package internal(set) var rejectedEntries: UInt64 = 0
    /// Connections other contexts move here (`move`).
    let inbox = ConnectionInbox()
    /// What arrived for flows moving here before their connection did, by flow index.
    var held: [FlowIndex: HeldArrival] = [:]
    /// Moves the runtime completed and connections it is done with, settled once every receive
    /// entry published before those completions is handled.
    var completedMoves: [Connection] = []
    var finishing: [Connection] = []
    /// Events this library decided itself (moves it refused), reported at the next `poll`.
    var localEvents: [ContextEvent] = []

    /// A context on the attachment's queue set (for the library's own stack scope and in-package
    /// runtime tests; applications use `FlexTCPStack.makeContext()`).
    package init(attachment: ContextAttachment, batchSize: Int = 64) throws(ContextQueueError) {
        self.attachment = attachment
        let queues = try attachment.region.queues(attachment.index)
        endpoint = ApplicationContextEndpoint(queues: queues, signals: attachment.region.signals(attachment.index))
        connections = Array(repeating: nil, count: attachment.flowCapacity)
        pendingUpdates = PendingUpdates(capacity: attachment.flowCapacity)
        flowEntries = .allocate(capacity: batchSize)
        flowEntries.initialize(repeating: .closed(opaque: 0, flow: 0, reason: .reset))
        eventEntries = .allocate(capacity: batchSize)
        eventEntries.initialize(repeating: .closed(opaque: 0, flow: 0, reason: .reset))
    }

    deinit {
        flowEntries.deallocate()
        eventEntries.deallocate()
    }

    // MARK: Listener and connection operations

    /// Listens on `port` (A.4 listener open) with room for `backlog` connections waiting for
    /// `accept`; `listening` or `listenFailed` reports the outcome (`addressInUse`, and
    /// `invalidArgument` for port 0 or a backlog outside 1 ... 65535).
    public func listen(on port: UInt16, backlog: Int = 128) -> Listener {
        let listener = Listener(port: port, opaque: takeOpaque())
        listeners[listener.opaque] = listener
        request(.openListener(port: port, backlog: UInt32(clamping: max(0, min(backlog, 65535))), opaque: listener.opaque))
        return listener
    }

    /// Takes the listener's next connection (A.4 accept); `accepted` or `acceptFailed` reports it
    /// (`closed` when the listener is closed first). Nil until the listener's `listening` event
    /// came, once it is closing, and for a listener this context does not hold (another context's).
    public func accept(on listener: Listener) -> Connection? {
        guard holds(listener), listener.status == .success else { return nil }
        let connection = Connection(opaque: takeOpaque())
        opening[connection.opaque] = connection
        request(.accept(listener: listener.identifier, opaque: connection.opaque))
        return connection
    }

    /// Connects to `address:port` (A.4 connection open); `connected` or `connectFailed` reports the
    /// outcome (`refused`, `unreachable`, `timedOut`, `resourcesExhausted`).
    public func connect(to address: IPv4Address, port: UInt16) -> Connection {
        let connection = Connection(opaque: takeOpaque(), remoteAddress: address, remotePort: port)
        opening[connection.opaque] = connection
        request(.openConnection(address: address, port: port, opaque: connection.opaque))
        return connection
    }

    /// Closes our direction after the bytes already sent (FIN); `closed` follows once both sides are
    /// done and every received byte is freed (until then the receive ring keeps them readable).
    /// Ignored for a connection that is not open or already closing.
    public func close(_ connection: Connection) {
        guard holds(connection), !connection.isClosing else { return }
        connection.isClosing = true
        // A moving connection is closed by the context that holds it when the move is over.
        guard connection.moveTarget == nil else { return connection.closeAwaitsMove = true }
        request(.close(flow: connection.flow), for: connection)
    }

    /// Stops listening (A.4 listener close): the port is free for another `listen`, SYNs to it are
    /// answered with a reset, connections not yet accepted are reset, and the accepts waiting on it
    /// fail with `closed`; `listenerClosed` follows once all that is done. A listener whose
    /// `listening` event has not come yet closes right after it. Ignored for a listener this
    /// context does not hold (another context's, one that failed to open, one already closing).
    public func close(_ listener: Listener) {
        guard holds(listener) else { return }
        listener.isClosing = true
        // Not open yet: closed when `listenerOpened` comes (see `handle`).
        guard listener.status == .success else { return }
        request(.closeListener(listener: listener.identifier, opaque: listener.opaque))
    }

    /// True if `listener` was opened by this context and is neither closing nor closed.
    func holds(_ listener: Listener) -> Bool { listeners[listener.opaque] === listener && !listener.isClosing }

    // MARK: Ring operations

    /// Hands the oldest `byteCount` received bytes back to the receive ring (A.4 rx_free): the
    /// application is done with them. Frees at most the bytes not yet freed; returns how many.
    @discardableResult
    public func freeReceivedBytes(_ byteCount: Int, of connection: Connection) -> Int {
        let count = max(0, min(byteCount, connection.unfreedByteCount))
        guard holds(connection), count > 0 else { return 0 }
        connection.unfreedByteCount -= count
        connection.readPosition = (connection.readPosition + count) % connection.receiveSize
        queueCounts(send: 0, free: UInt32(count), of: connection)
        return count
    }

    /// Up to `byteCount` bytes of free transmit ring at the connection's tail, to write the bytes to
    /// send into (A.4 tx_alloc). Fewer (or none) when the ring holds unacknowledged bytes; then
    /// `sendSpaceAvailable` follows when acknowledgments free space. Writing into it sends nothing
    /// until `sendReserved`.
    public func reserveSendSpace(_ byteCount: Int, on connection: Connection) -> RingSpan {
        guard holds(connection) else { return .empty }
        let count = max(0, min(byteCount, connection.sendSpace))
        if count < byteCount { connection.wantsSendSpace = true }
        guard let base = connection.transmitBase else { return .empty }
        return RingSpan(base: base, size: connection.transmitSize, position: connection.transmitTail, count: count)
    }

    /// Sends the first `byteCount` bytes of the span `reserveSendSpace` returned last (A.4 tx_send),
    /// at most the free space; returns how many were queued.
    @discardableResult
    public func sendReserved(_ byteCount: Int, on connection: Connection) -> Int {
        let count = max(0, min(byteCount, connection.sendSpace))
        guard holds(connection), count > 0 else { return 0 }
        connection.transmitTail = (connection.transmitTail + count) % connection.transmitSize
        connection.unacknowledgedByteCount += count
        queueCounts(send: UInt32(count), free: 0, of: connection)
        return count
    }

    // MARK: Waiting

    /// Hands over what waits, then sleeps until an event may be ready, queue room appears, or
    /// `timeout` passes (a negative one counts as zero). Returns false on timeout.
    @discardableResult
    public func wait(timeout: Duration) -> Bool {
        submitWaiting()
        return endpoint.wait(timeoutNanoseconds: timeout.sleepNanoseconds)
    }

    /// `wait` in three parts, for a thread that sleeps while other threads use this context under
    /// a lock it holds only around the first and last part (the POSIX sockets library): hands over
    /// what waits and arms the wake-up; true if an event may be ready already (then poll instead
    /// of sleeping). Call `disarmSleep` afterwards, either way.
    package func armForSleep() -> Bool {
        submitWaiting()
        return endpoint.armForSleep()
    }

    /// Sleeps after `armForSleep` until an event may be ready or `timeout` passes; touches no
    /// state of the context, so the caller need not hold its lock. False on timeout.
    package func sleepArmed(timeout: Duration) -> Bool { endpoint.sleepArmed(timeoutNanoseconds: timeout.sleepNanoseconds) }

    /// Ends a sleep begun with `armForSleep`.
    package func disarmSleep() { endpoint.disarm() }

    /// The eventfd `sleepArmed` sleeps on, for a caller that waits for it after `armForSleep` in
    /// its own poll(2) or epoll together with other descriptors (and reads it empty once woken).
    package var wakeupDescriptor: Int32 { wakeup.fileDescriptor }

    /// Hands over what waits (send/free counts, then requests) without waiting: what `poll` and
    /// `wait` do first. A loop that drives its runtime itself calls it before the runtime's next
    /// round, so that round sees the counts of this one.
    public func flush() { submitWaiting() }

    /// Wakes this context's `wait` from any thread (e.g. to hand it new work).
    var wakeup: WakeupSignal { attachment.region.signals(attachment.index).application }

    // MARK: Handing over

    private func takeOpaque() -> UInt64 {
        defer { nextOpaque &+= 1 }
        return nextOpaque
    }

    func request(_ request: SlowPathRequest, for connection: Connection? = nil) {
        requests.append((request, connection))
        submitWaiting()
    }

    /// Queues send/free counts of a held connection for the transmit queue at the next hand-over
    /// (`flush`, `poll`, `wait`), so that every `rxFree` and `txSend` of a connection between two
    /// hand-overs travels in one entry; while it moves, they stay with the connection for the
    /// context that holds it afterwards (`handOver`).
    @inline(__always)
    func queueCounts(send: UInt32, free: UInt32, of connection: Connection) {
        guard connection.moveTarget == nil else {
            connection.pendingSend &+= send
            connection.pendingFree &+= free
            return
        }
        pendingUpdates.add(flow: connection.flow, opaque: connection.opaque, send: send, free: free)
    }

    /// Queues the counts a connection made while it moved (now that this context holds it).
    func handOver(_ connection: Connection) {
        let (send, free) = (connection.pendingSend, connection.pendingFree)
        guard send > 0 || free > 0 else { return }
        connection.pendingSend = 0
        connection.pendingFree = 0
        queueCounts(send: send, free: free, of: connection)
    }

    /// The connection no longer holds its flow index here: its waiting counts are dropped (the
    /// index may be another connection's by now).
    func dropCounts(of connection: Connection) {
        pendingUpdates.drop(flow: connection.flow, opaque: connection.opaque)
    }

    /// Puts the waiting counts into the transmit queue, oldest first, as far as there is room.
    private func submitUpdates() {
        let endpoint = endpoint
        pendingUpdates.submit { flow, counts in
            endpoint.submit(TransmitRequest(flow: flow, opaque: counts.opaque, sendBytes: counts.send, freeBytes: counts.free))
        }
    }

    /// Submits waiting counts, then waiting requests in order (publishing the counts first); the
    /// requests of connections this context no longer holds are dropped.
    func submitWaiting() {
        // Emptying an array costs hundreds of instructions even when it is empty: only touch what holds something.
        if !pendingUpdates.isEmpty { submitUpdates() }
        endpoint.flush()
        guard !requests.isEmpty else { return }
        while let (request, connection) = requests.first {
            if let connection {
                if pendingUpdates.isWaiting(flow: connection.flow, opaque: connection.opaque) { break }
                if !holds(connection) {
                    requests.removeFirst()
                    continue
                }
            }
            guard endpoint.submit(request) else { break }
            requests.removeFirst()
        }
    }
}
