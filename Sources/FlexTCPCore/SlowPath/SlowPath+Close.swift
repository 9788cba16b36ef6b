import FlexWire

// Teardown: close, FIN, TIME_WAIT, abort.
extension SlowPath {
    /// Closes our direction of `flow`: the fast path sends a FIN after the bytes already queued (the
    /// application queues no more); we still receive until the peer's FIN. In SYN-SENT the attempt
    /// is dropped quietly. Returns false when the flow is unknown or already closing.
    @discardableResult
    package func close(flow: FlowIndex, now: UInt64) -> Bool {
        guard Int(flow) < connections.count, let connection = connections[Int(flow)] else { return false }
        switch connection.phase {
        case .synSent:
            release(flow)
            return true
        case .established, .closeWait:
            guard flows.closeTransmission(flow: flow, now: now) else { return false }
            connections[Int(flow)]?.phase = connection.phase == .closeWait ? .lastAck : .finWait1
            counters.finsSent &+= 1
            progress(flow, now: now)
            return true
        default:
            return false
        }
    }

    /// Moves on at once every connection whose FIN state the fast path's current events report (the
    /// peer's FIN taken, ours acknowledged), before the batch's exceptions and the next `advance`.
    /// Call after `FastPath.processReceived` on the same thread (run-to-completion), before its
    /// events are cleared.
    package func progressReportedFINs(in fastPath: FastPath, now: UInt64) {
        for index in 0..<fastPath.eventCount where !fastPath.events[index].closeFlags.isEmpty {
            progress(fastPath.events[index].flow, now: now)
        }
    }

    /// Moves one connection on as far as its fast-path state and timers allow: takes the FINs the
    /// fast path reports, runs the retransmission timer, retransmits SYN, ends TIME_WAIT; then makes
    /// sure its timer is scheduled.
    func progress(_ flow: FlowIndex, now: UInt64) {
        defer { scheduleTimer(flow, now: now) }
        guard let connection = connections[Int(flow)] else { return }
        switch connection.phase {
        case .synSent:
            guard now >= connection.deadline else { return }
            guard connection.retries < configuration.synRetries else { return failConnect(flow, reason: .timedOut) }
            connections[Int(flow)]?.retries = connection.retries + 1
            connections[Int(flow)]?.deadline = retransmissionDeadline(now: now, retries: connection.retries + 1)
            counters.synRetransmissions &+= 1
            if let crossed = connection.crossedSYN { sendSYNACK(for: crossed, now: now) } else { sendSYN(connection, now: now) }
        case .timeWait:
            let reported = reportClosedOnceRead(flow)
            guard now >= connection.deadline else {
                if reported { retireToTimeWait(flow, deadline: connection.deadline) }
                return
            }
            counters.timeWaitExpired &+= 1
            guard reported else {
                // TIME_WAIT is over; the record waits only for the application's read.
                connections[Int(flow)]?.phase = .closed
                connections[Int(flow)]?.deadline = .max
                return
            }
            release(flow)
        case .closed:
            if reportClosedOnceRead(flow) { release(flow) }
        case .established, .closeWait, .finWait1, .finWait2, .closing, .lastAck:
            guard let state = flows.state(of: flow) else { return }
            takeFINs(flow, state: state, now: now)
            guard let current = connections[Int(flow)], current.phase != .timeWait, current.phase != .closed else { return }
            runRetransmissionTimer(flow, current, state: state, now: now)
        }
    }

    /// Whether `progress` has anything to do for the connection at `index` (false: no connection):
    /// a timer due or, once installed, a FIN to take, SND.UNA moved, or the retransmission timer to
    /// start or stop. Reads fields in place: copying a connection copies its boxed congestion controller.
    func needsProgress(_ index: Int, now: UInt64) -> Bool {
        guard let phase = connections[index]?.phase, let deadline = connections[index]?.deadline else { return false }
        if now >= deadline { return true }
        switch phase {
        case .synSent:
            return false
        case .timeWait, .closed:
            // The close waits for the application's read: due once it has freed every byte.
            return closeIsReportable(FlowIndex(index))
        case .established, .closeWait, .finWait1, .finWait2, .closing, .lastAck:
            guard let state = flows.state(of: FlowIndex(index)) else { return true }
            let flags = state.closeFlags
            if flags.contains(.peerFinished) && !phase.peerFinished { return true }
            if flags.contains(.finAcknowledged) && (phase == .finWait1 || phase == .closing || phase == .lastAck) { return true }
            return state.sendUnacknowledged != connections[index]?.watchedUnacknowledged
                || wantedTimer(state) != connections[index]?.timer
        }
    }

    /// Follows the FINs the fast path took or had acknowledged through the RFC 9293 states.
    private func takeFINs(_ flow: FlowIndex, state: FlowState, now: UInt64) {
        guard let connection = connections[Int(flow)] else { return }
        if state.closeFlags.contains(.peerFinished) && !connection.phase.peerFinished {
            counters.finsReceived &+= 1
            events.append(.peerClosed(flow: flow, opaque: connection.opaque, context: connection.context))
            switch connection.phase {
            case .established: connections[Int(flow)]?.phase = .closeWait
            case .finWait1: connections[Int(flow)]?.phase = .closing
            case .finWait2: enterTimeWait(flow, now: now)
            default: break
            }
        }
        if state.closeFlags.contains(.finAcknowledged), let current = connections[Int(flow)] {
            finAcknowledged(flow, current, now: now)
        }
    }

    private func finAcknowledged(_ flow: FlowIndex, _ connection: Connection, now: UInt64) {
        switch connection.phase {
        case .finWait1:
            connections[Int(flow)]?.phase = .finWait2
        case .closing:
            enterTimeWait(flow, now: now)
        case .lastAck:
            connections[Int(flow)]?.phase = .closed
            connections[Int(flow)]?.deadline = .max
            connections[Int(flow)]?.timer = .idle
            guard reportClosedOnceRead(flow) else { return counters.closesAwaitingRead &+= 1 }
            release(flow)
        default:
            break
        }
    }

    /// Both FINs are acknowledged; the 4-tuple stays reserved for `timeWaitDuration`. The flow and
    /// its rings go back as soon as the close is reported (a `TimeWaitRecord` holds the 4-tuple);
    /// until then the application still reads through them.
    func enterTimeWait(_ flow: FlowIndex, now: UInt64) {
        guard connections[Int(flow)] != nil else { return }
        let deadline = now &+ configuration.timeWaitDuration
        connections[Int(flow)]?.phase = .timeWait
        connections[Int(flow)]?.deadline = deadline
        counters.timeWaitEntered &+= 1
        guard reportClosedOnceRead(flow) else { return counters.closesAwaitingRead &+= 1 }
        retireToTimeWait(flow, deadline: deadline)
    }

    /// Reports the connection (closed in order both ways) closed once its application has freed every
    /// byte it received: until then those bytes are in the receive ring, which the application reads
    /// through the flow, so the record, the flow and its rings stay (`progress` calls again when the
    /// fast path reports the flow changed by a free). Returns true once reported.
    @discardableResult
    func reportClosedOnceRead(_ flow: FlowIndex) -> Bool {
        guard let connection = connections[Int(flow)] else { return false }
        guard !connection.closeReported else { return true }
        guard closeIsReportable(flow) else { return false }
        connections[Int(flow)]?.closeReported = true
        counters.connectionsClosed &+= 1
        events.append(.closed(flow: flow, opaque: connection.opaque, context: connection.context))
        return true
    }

    /// True when the connection's `closed` is not reported yet and its application has freed every
    /// byte it received (a flow no longer installed holds none).
    private func closeIsReportable(_ flow: FlowIndex) -> Bool {
        guard let connection = connections[Int(flow)], !connection.closeReported else { return false }
        return (flows.state(of: flow)?.unreadByteCount ?? 0) == 0
    }

    /// Tears the connection down at once (telling the peer with an RST when `now` is given) and reports it.
    func abort(_ flow: FlowIndex, reason: ConnectionAbortReason, resetSentAt now: UInt64? = nil) {
        guard let connection = connections[Int(flow)] else { return }
        if let now, let state = flows.state(of: flow) {
            sendFlowSegment(state, sequence: state.sendNext, flags: .rst, now: now)
            counters.resetsSent &+= 1
        }
        release(flow)
        counters.connectionsAborted &+= 1
        events.append(.aborted(flow: flow, opaque: connection.opaque, context: connection.context, reason: reason))
    }

    /// Runs every timer due by `now`, lets the connections the fast path reported changed progress
    /// and runs the congestion-control steps due; commits what it sends. Its cost follows the
    /// connections that changed or have a timer due, not the number of connections
    /// (`SlowPath+Timers.swift`); a round with nothing due costs a few comparisons (each step is
    /// called from its deadline on).
    package func advance(now: UInt64) {
        if now >= network.nextDeadline { network.advance(now: now) }
        if now >= nextChangeExamination { examineChangedFlows(now: now) }
        if now >= connectionTimers.earliest ?? .max { runConnectionTimers(now: now) }
        if now >= controlSchedule.earliest ?? .max { runCongestionLoop(now: now) }
        if now >= handshakeTimers.earliest ?? .max { runHandshakeTimers(now: now) }
        if now >= timeWaitTimers.earliest ?? .max { runTimeWaitTimers(now: now) }
        network.flushTransmits()
    }
}
