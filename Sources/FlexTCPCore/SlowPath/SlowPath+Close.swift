import FlexWire

// Teardown: close, FIN, TIME_WAIT, abort.
extension SlowPath {
    /// Closes our direction of `flow`: a FIN follows once everything queued has been acknowledged;
    /// we still receive until the peer's FIN. In SYN-SENT the attempt is dropped quietly. Returns
    /// false when the flow is unknown or already closing.
    @discardableResult
    public func close(flow: FlowIndex, now: UInt64) -> Bool {
        guard Int(flow) < connections.count, let connection = connections[Int(flow)] else { return false }
        switch connection.phase {
        case .synSent:
            release(flow)
            return true
        case .established, .closeWait:
            guard !connection.finRequested else { return false }
            connections[Int(flow)]?.finRequested = true
            progress(flow, now: now)
            return true
        default:
            return false
        }
    }

    /// Moves one connection on as far as its fast-path state and timers allow: sends a requested FIN
    /// once the transmit ring has drained, notices our FIN's acknowledgment, retransmits SYN and FIN,
    /// ends TIME_WAIT.
    func progress(_ flow: FlowIndex, now: UInt64) {
        guard let connection = connections[Int(flow)] else { return }
        switch connection.phase {
        case .synSent:
            guard now >= connection.deadline else { return }
            guard connection.retries < configuration.synRetries else { return failConnect(flow, reason: .timedOut) }
            retryLater(flow, connection, now: now)
            counters.synRetransmissions &+= 1
            sendSYN(connection, now: now)
        case .established, .closeWait:
            if connection.finRequested { sendFINWhenDrained(flow, connection, now: now) }
        case .finWait1, .closing, .lastAck:
            guard let state = fastPath.state(of: flow) else { return }
            if state.sendUnacknowledged == connection.sequence + 1 { return finAcknowledged(flow, connection, now: now) }
            guard now >= connection.deadline else { return }
            guard connection.retries < configuration.finRetries else { return abort(flow, reason: .timedOut, resetSentAt: now) }
            retryLater(flow, connection, now: now)
            counters.finRetransmissions &+= 1
            sendFlowSegment(state, sequence: connection.sequence, flags: [.fin, .ack], now: now)
        case .timeWait:
            guard now >= connection.deadline else { return }
            counters.timeWaitExpired &+= 1
            release(flow)
        case .finWait2:
            break
        }
    }

    private func retryLater(_ flow: FlowIndex, _ connection: Connection, now: UInt64) {
        connections[Int(flow)]?.retries = connection.retries + 1
        connections[Int(flow)]?.deadline = retransmissionDeadline(now: now, retries: connection.retries + 1)
    }

    /// Sends the FIN at SND.NXT when nothing is left to send or acknowledge. The fast path counts
    /// the FIN as one sent byte, so its ACKs carry SND.NXT = FIN + 1 and the peer's ACK of the FIN
    /// shows as SND.UNA reaching FIN + 1.
    private func sendFINWhenDrained(_ flow: FlowIndex, _ connection: Connection, now: UInt64) {
        guard let state = fastPath.state(of: flow), state.transmitSent == 0, state.transmitPending == 0 else { return }
        let finSequence = state.sendUnacknowledged
        guard let updated = updateInstalledFlow(flow, now: now, { $0.transmitSent = 1 }) else { return }
        connections[Int(flow)]?.sequence = finSequence
        connections[Int(flow)]?.phase = connection.phase == .closeWait ? .lastAck : .finWait1
        connections[Int(flow)]?.retries = 0
        connections[Int(flow)]?.deadline = retransmissionDeadline(now: now, retries: 0)
        counters.finsSent &+= 1
        sendFlowSegment(updated, sequence: finSequence, flags: [.fin, .ack], now: now)
    }

    private func finAcknowledged(_ flow: FlowIndex, _ connection: Connection, now: UInt64) {
        switch connection.phase {
        case .finWait1:
            connections[Int(flow)]?.phase = .finWait2
            connections[Int(flow)]?.deadline = .max
        case .closing:
            enterTimeWait(flow, now: now)
        case .lastAck:
            counters.connectionsClosed &+= 1
            events.append(.closed(flow: flow, opaque: connection.opaque))
            release(flow)
        default:
            break
        }
    }

    /// Both FINs are acknowledged; the 4-tuple (and the flow) stay reserved for `timeWaitDuration`.
    func enterTimeWait(_ flow: FlowIndex, now: UInt64) {
        guard let connection = connections[Int(flow)] else { return }
        connections[Int(flow)]?.phase = .timeWait
        connections[Int(flow)]?.deadline = now &+ configuration.timeWaitDuration
        counters.timeWaitEntered &+= 1
        counters.connectionsClosed &+= 1
        events.append(.closed(flow: flow, opaque: connection.opaque))
    }

    /// Tears the connection down at once (telling the peer with an RST when `now` is given) and reports it.
    func abort(_ flow: FlowIndex, reason: ConnectionAbortReason, resetSentAt now: UInt64? = nil) {
        guard let connection = connections[Int(flow)] else { return }
        if let now, let state = fastPath.state(of: flow) {
            sendFlowSegment(state, sequence: state.sendNext, flags: .rst, now: now)
            counters.resetsSent &+= 1
        }
        release(flow)
        counters.connectionsAborted &+= 1
        events.append(.aborted(flow: flow, opaque: connection.opaque, reason: reason))
    }

    /// Runs every timer due by `now` and lets closing flows progress; commits what it sends.
    public func advance(now: UInt64) {
        network.advance(now: now)
        for index in connections.indices where connections[index] != nil { progress(FlowIndex(index), now: now) }
        for entry in synQueue.values where now >= entry.deadline {
            guard entry.retries < configuration.synAckRetries else {
                synQueue[entry.key] = nil
                counters.synAckTimeouts &+= 1
                continue
            }
            synQueue[entry.key]?.retries = entry.retries + 1
            synQueue[entry.key]?.deadline = retransmissionDeadline(now: now, retries: entry.retries + 1)
            counters.synAckRetransmissions &+= 1
            sendSYNACK(for: entry, now: now)
        }
        network.flushTransmits()
    }
}
