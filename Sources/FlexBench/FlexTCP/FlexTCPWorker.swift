import FlexPort
import FlexTCPCore
import FlexWire

/// One side of a workload on one embedded FlexTCP `Stack`, run to completion on the calling thread
/// (the one core of this side: fast path, slow path and application busy-poll together).
///
/// Contract (`SteppedWorker`): `prepare` listens (server), `begin` connects after the start barrier
/// (client, `spec.connections` flows), each `step` polls the stack, accepts and serves the flows
/// that have work. Only flows named by the fast path's flow events
/// or the slow path's connection events since the last iteration are served (never a scan of all
/// flows); per iteration nothing is allocated (a session is allocated per connection). Each
/// session is driven by the `Session` contract; a connection is closed once its session asks for
/// it and everything it produced was written.
final class FlexTCPWorker: SteppedWorker {
    let stack: Stack
    let endpoint: WorkloadEndpoint
    /// The stack's parts the loop touches several times per poll (kept to avoid reference counting).
    private let fastPath: FastPath
    private let slowPath: SlowPath
    private let sessions: FlowSessions<Never>
    private var seenEventOverflows: UInt64 = 0
    /// Established connections wait in the listener's backlog (server).
    private var acceptsDue = false
    /// Connections to open once a flow slot or port is free (client: churn replacements, and the
    /// initial connections after the first).
    private var connectsDue = 0
    /// Initial connections still to open when the first is established (client).
    private var connectionsAfterFirst = 0

    init(stack: Stack, endpoint: WorkloadEndpoint) {
        self.stack = stack
        self.endpoint = endpoint
        fastPath = stack.fastPath
        slowPath = stack.slowPath
        sessions = FlowSessions(capacity: stack.configuration.flowCapacity)
    }

    /// Before the start barrier: the server listens.
    func prepare() throws(BenchmarkFailure) {
        guard endpoint.role == .server else { return }
        do {
            try stack.listen(port: FlexTCPBenchmarkStack.serverPort, backlog: stack.configuration.backlog)
        } catch {
            throw BenchmarkFailure("cannot listen on port \(FlexTCPBenchmarkStack.serverPort): \(error)")
        }
    }

    /// After the start barrier: the client opens its first connection.
    func begin(now: UInt64) throws(BenchmarkFailure) {
        guard endpoint.role == .client else { return }
        // One connection resolves the server's address first; the others follow once it is
        // established (SYNs sent while ARP is pending would wait in a small queue or be dropped).
        guard open(now: now) else { throw BenchmarkFailure("cannot open a connection") }
        connectionsAfterFirst = endpoint.spec.connections - 1
    }

    /// One iteration: the stack's poll (collecting the flows with work), new connections, every
    /// flow with work, then the stack transmits what they wrote (an answer leaves in the step of
    /// its request, carrying that request's ACK). Never fails.
    @inline(__always)
    func step(now: UInt64) -> String? {
        stack.poll(now: now) { settleEvents(now: now) }
        if acceptsDue { acceptConnections(now: now) }
        if connectsDue > 0 { reopenConnections(now: now) }
        sessions.withReadySlots { flow, slot in serve(flow, slot.pointee.session!, now: now) }
        stack.transmit(now: now)
        return nil
    }

    /// Flow events mark their flows ready; connection events open, finish and forget sessions.
    @inline(__always)
    private func settleEvents(now: UInt64) {
        let events = fastPath.events
        for index in 0..<fastPath.eventCount { sessions.markReady(events[index].flow) }
        fastPath.clearEvents()
        if fastPath.eventOverflows != seenEventOverflows {
            seenEventOverflows = fastPath.eventOverflows
            sessions.markAllReady()
        }
        slowPath.drainEvents { event in handle(event, now: now) }
    }

    private func handle(_ event: ConnectionEvent, now: UInt64) {
        switch event {
        case .established(let flow, _, _, _, _):
            if endpoint.role == .server {
                acceptsDue = true
            } else if let session = sessions.session(of: flow) {
                session.opened(now: now)
                sessions.markReady(flow)
                connectsDue += connectionsAfterFirst
                connectionsAfterFirst = 0
            }
        case .peerClosed(let flow, _, _):
            guard Int(flow) < sessions.capacity else { return }
            sessions.slot(flow).pointee.peerClosed = true
            sessions.markReady(flow)
        case .closed(let flow, _, _), .connectFailed(let flow, _, _, _), .aborted(let flow, _, _, _):
            // Sessions we closed are already forgotten; any other ends before its time.
            guard let session = sessions.session(of: flow) else { return }
            if !sessions.slot(flow).pointee.finishReported { session.peerFinished() }
            forget(flow)
        }
    }

    private func acceptConnections(now: UInt64) {
        acceptsDue = false
        while let flow = stack.accept(port: FlexTCPBenchmarkStack.serverPort) {
            let session = endpoint.makeSession(now: now)
            sessions.attach(session, to: flow)
            session.opened(now: now)
            sessions.markReady(flow)
            // Bytes and a FIN may have arrived before the accept.
            if slowPath.state(of: flow)?.peerFinished == true {
                sessions.slot(flow).pointee.peerClosed = true
            }
        }
    }

    /// Starts one client connection; false when the stack has no flow slot or port free.
    private func open(now: UInt64) -> Bool {
        do {
            let flow = try stack.connect(to: FlexTCPBenchmarkStack.serverAddress, port: FlexTCPBenchmarkStack.serverPort, now: now)
            sessions.attach(endpoint.makeSession(now: now), to: flow)
            return true
        } catch {
            return false
        }
    }

    private func reopenConnections(now: UInt64) {
        while connectsDue > 0 && open(now: now) { connectsDue -= 1 }
    }

    /// Hands the session the received bytes it takes (where they lie in the receive ring, no copy)
    /// and moves its output into the transmit ring, until no received bytes are left behind, then
    /// reports the end of stream and closes when the session asks for it.
    @inline(__always)
    private func serve(_ flow: FlowIndex, _ session: Session, now: UInt64) {
        while true {
            let taken = stack.consume(from: flow, upTo: session.receiveLimit, now: now) { session.received($0, now: now) }
            let pending = session.pending
            if !pending.isEmpty {
                let written = stack.write(to: flow, from: pending, now: now)
                if written > 0 { session.sent(written, now: now) }
            }
            // Bytes are left behind only when the session's output was full (an echo server); it has drained.
            guard taken > 0 && stack.readableBytes(on: flow) > 0 else { break }
        }
        let slot = sessions.slot(flow)
        if slot.pointee.peerClosed && !slot.pointee.finishReported && stack.readableBytes(on: flow) == 0 {
            slot.pointee.finishReported = true
            session.peerFinished()
        }
        if session.shouldClose && session.pending.isEmpty {
            stack.close(flow, now: now)
            forget(flow)
        }
    }

    /// Drops the flow's session; a churning client replaces the connection.
    private func forget(_ flow: FlowIndex) {
        sessions.detach(flow)
        if endpoint.reconnects { connectsDue += 1 }
    }
}
