import FlexPort
import FlexTCP
import FlexTCPCore
import FlexWire

/// One side of a workload through the FlexTCP library: a caller-driven `StackRuntime` on one
/// embedded `Stack` and one `Context` of it, both driven by the calling thread (the one core of
/// this side: runtime, library and application busy-poll together, as on the run-to-completion path).
///
/// Contract (`SteppedWorker`): `prepare` opens the listener (server), `begin` the connections after
/// the start barrier (client, `spec.connections`), each `step` steps the runtime, polls the
/// context, serves the connections that reported work and hands their counts over. Only connections named by the context's events since the last iteration are served;
/// received bytes go to the session straight from the receive ring and its output straight into
/// the transmit ring. Per iteration nothing is allocated (a session is allocated per connection).
final class FlexTCPContextWorker: SteppedWorker {
    /// The embedded runtime this worker steps; nil for a context attached to flextcpd (the service runs the stack).
    let runtime: StackRuntime?
    /// `runtime` for `step`, which reaches it without retaining it (`runtime` keeps it alive).
    private let steppedRuntime: Unmanaged<StackRuntime>?
    let context: Context
    let endpoint: WorkloadEndpoint
    /// Where a client connects.
    private let server: (address: IPv4Address, port: UInt16)
    private let sessions: FlowSessions<Connection>
    /// Client connections whose `connected` has not arrived, with the sessions made when they were started.
    private var opening: [ObjectIdentifier: Session] = [:]
    /// Connections to open (client: churn replacements, and the initial connections after the first).
    private var connectsDue = 0
    /// Initial connections still to open when the first is established (client).
    private var connectionsAfterFirst = 0

    init(runtime: StackRuntime, endpoint: WorkloadEndpoint, flowCapacity: Int) throws(ContextQueueError) {
        self.runtime = runtime
        steppedRuntime = Unmanaged.passUnretained(runtime)
        self.endpoint = endpoint
        context = try Context(attachment: runtime.attachment(for: 0))
        sessions = FlowSessions(capacity: flowCapacity)
        server = (FlexTCPBenchmarkStack.serverAddress, FlexTCPBenchmarkStack.serverPort)
    }

    /// A client on `context` of a stack attached to flextcpd, connecting to `server`.
    init(attachedContext context: Context, endpoint: WorkloadEndpoint, flowCapacity: Int, server: (address: IPv4Address, port: UInt16)) {
        runtime = nil
        steppedRuntime = nil
        self.endpoint = endpoint
        self.context = context
        self.server = server
        sessions = FlowSessions(capacity: flowCapacity)
    }

    /// Before the start barrier: the server asks for its listener.
    func prepare() throws(BenchmarkFailure) {
        guard endpoint.role == .server else { return }
        _ = context.listen(on: FlexTCPBenchmarkStack.serverPort, backlog: max(128, endpoint.spec.connections))
        context.flush()
    }

    /// After the start barrier: the client opens its first connection.
    func begin(now: UInt64) throws(BenchmarkFailure) {
        guard endpoint.role == .client else { return }
        // One connection resolves the server's address first; the others follow once it is established.
        open(now: now)
        connectionsAfterFirst = endpoint.spec.connections - 1
    }

    /// One iteration: the runtime's round with the context served inside it (`serveContext`, before
    /// the round's transmit stage, so answers leave in the round that received their questions).
    /// Returns a fatal failure.
    @inline(__always)
    func step(now: UInt64) -> String? {
        guard let steppedRuntime else { return serveContext(now: now) }
        return steppedRuntime._withUnsafeGuaranteedRef { runtime in
            var failure: String?
            _ = runtime.step(now: now) { failure = serveContext(now: now) }
            return failure
        }
    }

    /// The context's events, the connections with work, and the counts they produced flushed to the runtime.
    @inline(__always)
    private func serveContext(now: UInt64) -> String? {
        var failure: String?
        context.poll { event in
            if let problem = handle(event, now: now) { failure = problem }
        }
        if connectsDue > 0 { reopenConnections(now: now) }
        sessions.withReadySlots { flow, slot in serve(flow, slot, now: now) }
        context.flush()
        if failure == nil && context.rejectedEntries > 0 { failure = "the runtime rejected \(context.rejectedEntries) entries" }
        return failure
    }

    /// Marks connections with work ready; opens, finishes and forgets sessions. Returns a failure
    /// that ends the run (the listener could not be opened).
    private func handle(_ event: ContextEvent, now: UInt64) -> String? {
        switch event {
        case .received(let connection, _), .sendSpaceAvailable(let connection):
            sessions.markReady(connection.flow)
        case .endOfStream(let connection):
            guard sessions.session(of: connection.flow) != nil else { break }
            sessions.slot(connection.flow).pointee.peerClosed = true
            sessions.markReady(connection.flow)
        case .listening:
            break
        case .listenFailed(_, let error):
            return "cannot listen on port \(FlexTCPBenchmarkStack.serverPort): \(error)"
        case .incomingConnection(let listener, _, _):
            // One accept per announced connection: accepts kept waiting would make the runtime
            // look for connections to match on every round.
            _ = context.accept(on: listener)
        case .accepted(let connection):
            start(endpoint.makeSession(now: now), on: connection, now: now)
        case .connectFailed(let connection, let error):
            guard let session = opening.removeValue(forKey: ObjectIdentifier(connection)) else { break }
            // No flow slot or port free (churn, TIME_WAIT): try again later, as the run-to-completion path does.
            if error != .resourcesExhausted { session.peerFinished() }
            if error == .resourcesExhausted || endpoint.reconnects { connectsDue += 1 }
        case .connected(let connection):
            guard let session = opening.removeValue(forKey: ObjectIdentifier(connection)) else { break }
            start(session, on: connection, now: now)
            connectsDue += connectionsAfterFirst
            connectionsAfterFirst = 0
        case .closed(let connection, _):
            // Sessions we closed are already forgotten; any other ends before its time.
            guard let session = sessions.session(of: connection.flow), sessions.slot(connection.flow).pointee.handle === connection else { break }
            if !sessions.slot(connection.flow).pointee.finishReported { session.peerFinished() }
            forget(connection.flow)
        case .listenerClosed, .acceptFailed, .moved, .moveFailed, .movedIn:
            break
        }
        return nil
    }

    private func start(_ session: Session, on connection: Connection, now: UInt64) {
        sessions.attach(session, handle: connection, to: connection.flow)
        session.opened(now: now)
        sessions.markReady(connection.flow)
    }

    /// Starts one client connection; its session is timed from now.
    private func open(now: UInt64) {
        let connection = context.connect(to: server.address, port: server.port)
        opening[ObjectIdentifier(connection)] = endpoint.makeSession(now: now)
    }

    private func reopenConnections(now: UInt64) {
        while connectsDue > 0 {
            connectsDue -= 1
            open(now: now)
        }
    }

    /// Hands the session the received bytes it takes (from the ring, no copy) and frees them,
    /// moves its output into the transmit ring, until neither can go on; then reports the end of
    /// stream and closes when the session asks for it.
    @inline(__always)
    private func serve(_ flow: FlowIndex, _ slot: UnsafeMutablePointer<FlowSessions<Connection>.Slot>, now: UInt64) {
        // Unretained (the slot keeps both): forgotten only once they are no longer used.
        guard let (session, connection) = sessions.unretained(slot) else { return }
        let closed = session._withUnsafeGuaranteedRef { session in
            connection._withUnsafeGuaranteedRef { connection in serve(session, on: connection, slot, now: now) }
        }
        if closed { forget(flow) }
    }

    /// `serve` of one connection; true if it closed it (its session is to be forgotten).
    @inline(__always)
    private func serve(_ session: Session, on connection: Connection, _ slot: UnsafeMutablePointer<FlowSessions<Connection>.Slot>,
                       now: UInt64) -> Bool {
        while true {
            let unfreed = connection.unfreedBytes
            let taken = min(unfreed.count, session.receiveLimit)
            if taken > 0 {
                let head = min(taken, unfreed.leadingPiece.count)
                session.received(UnsafeRawBufferPointer(rebasing: unfreed.leadingPiece[0..<head]), now: now)
                if taken > head { session.received(UnsafeRawBufferPointer(rebasing: unfreed.trailingPiece[0..<(taken - head)]), now: now) }
                context.freeReceivedBytes(taken, of: connection)
            }
            let pending = session.pending
            var sent = 0
            if !pending.isEmpty {
                let space = context.reserveSendSpace(pending.count, on: connection)
                sent = space.count
                if sent > 0 {
                    _ = space.copyBytes(from: UnsafeRawBufferPointer(pending))
                    context.sendReserved(sent, on: connection)
                    session.sent(sent, now: now)
                }
            }
            // Go on while bytes were left behind because the session's output was full (it drained),
            // or the session refilled its output after a send that took everything (a stream); a
            // send that found too little room resumes at `sendSpaceAvailable`.
            let receiveMore = taken > 0 && connection.unfreedByteCount > 0
            let sendMore = sent > 0 && sent == pending.count && !session.pending.isEmpty
            guard receiveMore || sendMore else { break }
        }
        if slot.pointee.peerClosed && !slot.pointee.finishReported && connection.unfreedByteCount == 0 {
            slot.pointee.finishReported = true
            session.peerFinished()
        }
        guard session.shouldClose && session.pending.isEmpty else { return false }
        context.close(connection)
        return true
    }

    /// Drops the flow's session; a churning client replaces the connection.
    private func forget(_ flow: FlowIndex) {
        sessions.detach(flow)
        if endpoint.reconnects { connectsDue += 1 }
    }
}
