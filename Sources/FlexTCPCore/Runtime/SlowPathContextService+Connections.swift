// The slow path's connection events, turned into completions and stream ends for the contexts.
extension SlowPathContextService {
    /// Handles the slow path's events, then gives waiting accepts the connections that arrived
    /// (only after every `established` is seen, since `SlowPath.accept` may return any of them).
    @inline(__always)
    func takeConnectionEvents() {
        // Without events no connection became acceptable: every accept was matched when it came.
        if !slowPath.events.isEmpty { handleConnectionEvents() }
    }

    private func handleConnectionEvents() {
        slowPath.drainEvents { handle($0) }
        for index in listeners.indices where !listeners[index].accepts.isEmpty { matchAccepts(listener: index) }
    }

    private func handle(_ event: ConnectionEvent) {
        switch event {
        case .established(let flow, let opaque, _, _):
            if flows[Int(flow)].phase == .connecting {
                announce(flow, as: SlowPathEvent.connected)
            } else if Int(opaque) < listeners.count {
                // Passive: the slow path carries the listener's index as the flow's opaque.
                let listener = listeners[Int(opaque)]
                flows[Int(flow)] = RuntimeFlow(phase: .awaitingAccept(listener: Int(opaque)), context: listener.context,
                                               opaque: listener.opaque)
                if let state = slowPath.flows.state(of: flow) {
                    complete(.newConnection(listenerOpaque: listener.opaque, listener: UInt32(opaque),
                                            remoteAddress: state.remoteAddress, remotePort: state.remotePort), to: listener.context)
                }
            }
        case .connectFailed(let flow, _, let reason):
            let record = flows[Int(flow)]
            flows[Int(flow)] = RuntimeFlow()
            guard record.phase == .connecting else { return }
            complete(.connected(OpenedConnection(opaque: record.opaque, flow: flow, status: Self.status(for: reason))), to: record.context)
        case .peerClosed(let flow, _):
            switch flows[Int(flow)].phase {
            case .open: endStream(of: flow, reason: .peerFinished)
            case .awaitingAccept, .announcing: flows[Int(flow)].peerFinished = true
            case .unused, .connecting: break
            }
        case .closed(let flow, _):
            finish(flow, reason: nil)
        case .aborted(let flow, _, let reason):
            finish(flow, reason: reason == .timedOut ? .timedOut : .reset)
        }
    }

    /// The slow path is done with the flow: an aborted stream ends (`reason`), and the application
    /// hears that the flow is gone — after the receive entries already routed for it (its last
    /// acknowledgments), so none of them trails the completion. Flows it never knew just go.
    private func finish(_ flow: FlowIndex, reason: CloseReason?) {
        let record = flows[Int(flow)]
        flows[Int(flow)] = RuntimeFlow()
        guard record.isKnownToApplication else { return }
        if let reason, !record.peerFinished { postStreamEnd(StreamEnd(context: record.context, opaque: record.opaque, flow: flow, reason: reason)) }
        let completion = SlowPathEvent.closed(opaque: record.opaque, flow: flow, reason: reason ?? .closedByApplication)
        // The fast path stops delivering the flow and confirms once its entries are published.
        let ticket = awaitConfirmation(.completion(completion, to: record.context))
        control.release(flow: flow, context: record.context, ticket: ticket)
    }

    /// Reports the open of an installed flow (accepted or connected) to its context once the fast
    /// path has carried out every command before (`fence`: the application may write to the flow
    /// as soon as it sees the completion, so the fast path must know the flow and its context by
    /// then); once the completion is in the event queue the flow opens and the bytes already
    /// received are announced.
    func announce(_ flow: FlowIndex, as completion: (OpenedConnection) -> SlowPathEvent) {
        guard let state = slowPath.flows.state(of: flow) else { return }
        let record = flows[Int(flow)]
        flows[Int(flow)].phase = .announcing
        let opened = OpenedConnection(opaque: record.opaque, flow: flow, status: .success,
                                      receiveRingOffset: state.receiveRingOffset, receiveRingSize: state.receiveRingSize,
                                      transmitRingOffset: state.transmitRingOffset, transmitRingSize: state.transmitRingSize,
                                      remoteAddress: state.remoteAddress, remotePort: state.remotePort, localPort: state.localPort)
        let ticket = awaitConfirmation(.announcement(completion(opened), to: record.context, flow: flow))
        control.fence(ticket: ticket)
    }

    /// The open completion of `flow` is in its context's event queue: publish it, then let the fast
    /// path tell the context about the bytes (and the end of stream) that arrived before.
    private func opened(_ flow: FlowIndex) {
        guard flows[Int(flow)].phase == .announcing, slowPath.flows.state(of: flow) != nil else { return }
        let record = flows[Int(flow)]
        flows[Int(flow)].phase = .open
        requestEndpoints[Int(record.context)].flush()
        control.open(flow: flow, context: record.context, opaque: record.opaque)
        if record.peerFinished { endStream(of: flow, reason: .peerFinished) }
    }

    private func endStream(of flow: FlowIndex, reason: CloseReason) {
        let record = flows[Int(flow)]
        flows[Int(flow)].peerFinished = true
        postStreamEnd(StreamEnd(context: record.context, opaque: record.opaque, flow: flow, reason: reason))
    }

    /// Queues the end of a flow's byte stream for its receive queue (the fast path posts it).
    private func postStreamEnd(_ end: StreamEnd) {
        control.endStream(flow: end.flow, context: end.context, opaque: end.opaque, reason: end.reason)
    }

    /// Posts a completion to `context`'s event queue, behind any that wait for room.
    func complete(_ event: SlowPathEvent, to context: UInt16, announcing flow: FlowIndex? = nil) {
        if outboxes[Int(context)].isEmpty && requestEndpoints[Int(context)].post(event) {
            if let flow { opened(flow) }
        } else {
            deferredCompletions &+= 1
            outboxes[Int(context)].append(OutboxEntry(event: event, announces: flow))
        }
    }

    /// Posts the completions that waited for room.
    func retryPending() {
        for context in outboxes.indices where !outboxes[context].isEmpty {
            while let entry = outboxes[context].first, requestEndpoints[context].post(entry.event) {
                outboxes[context].removeFirst()
                if let flow = entry.announces { opened(flow) }
            }
        }
    }

    /// Asks every context whose completions wait in the outbox for a signal once its event queue
    /// has room, so an idle runtime thread wakes when the application polls; true if one has room
    /// already (`retryPending` can post now).
    func requestRoomForWaitingCompletions() -> Bool {
        var roomFound = false
        for context in outboxes.indices where !outboxes[context].isEmpty && requestEndpoints[context].requestRoom() {
            roomFound = true
        }
        return roomFound
    }

    static func status(for reason: ConnectionAbortReason) -> SlowPathStatus {
        switch reason {
        case .resetByPeer: .connectionRefused
        case .timedOut: .timedOut
        case .noRoute: .unreachable
        case .outOfResources: .resourcesExhausted
        }
    }
}
