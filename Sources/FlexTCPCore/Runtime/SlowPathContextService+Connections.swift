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
        for index in listeners.indices where listeners[index]?.accepts.isEmpty == false { matchAccepts(listener: index) }
    }

    private func handle(_ event: ConnectionEvent) {
        switch event {
        case .established(let flow, let opaque, _, _, let acceptedBy):
            if flows[Int(flow)].phase == .connecting {
                // Established and ended in one receive batch, the open is gone (its index may hold a
                // passive connection by now, whose own events follow): its `aborted` event fails the connect.
                if slowPath.holdsActiveOpen(flow, opaque: opaque) { announce(flow, as: SlowPathEvent.connected) }
            } else if let port = acceptedBy, let index = listeners.lastIndex(where: { $0?.port == port }), let listener = listeners[index],
                      let state = slowPath.flows.state(of: flow) {
                // Passive: the listener open on the connection's port (a closed listener's connections
                // were aborted with it and have no state left).
                flows[Int(flow)] = RuntimeFlow(phase: .awaitingAccept(listener: index))
                complete(.newConnection(listenerOpaque: listener.opaque, listener: UInt32(index),
                                        remoteAddress: state.remoteAddress, remotePort: state.remotePort), to: listener.context)
            }
        case .connectFailed(let flow, let opaque, let context, let reason):
            failConnect(flow, FlowBinding(context: context, opaque: opaque), reason: reason)
        case .peerClosed(let flow, let opaque, let context):
            // From the event's binding: the flow may be released (and its index reused) already.
            switch flows[Int(flow)].phase {
            case .open: endStream(of: flow, FlowBinding(context: context, opaque: opaque))
            case .awaitingAccept, .announcing: flows[Int(flow)].peerFinished = true
            case .unused, .connecting: break
            }
        case .closed(let flow, let opaque, let context):
            finish(flow, FlowBinding(context: context, opaque: opaque), reason: nil)
        case .aborted(let flow, let opaque, let context, let reason) where flows[Int(flow)].phase == .connecting:
            // Established and aborted before the service drained the events (one receive batch):
            // the connection was never announced, so its connect fails.
            failConnect(flow, FlowBinding(context: context, opaque: opaque), reason: reason)
        case .aborted(let flow, let opaque, let context, let reason):
            finish(flow, FlowBinding(context: context, opaque: opaque), reason: reason == .timedOut ? .timedOut : .reset)
        }
    }

    /// An active open ended before the application heard of its connection: the connect completes
    /// with the status of `reason`. A flow with no connect under way (its index already reused or
    /// released) just goes.
    private func failConnect(_ flow: FlowIndex, _ binding: FlowBinding, reason: ConnectionAbortReason) {
        let record = flows[Int(flow)]
        flows[Int(flow)] = RuntimeFlow()
        guard record.phase == .connecting else { return }
        complete(.connected(OpenedConnection(opaque: binding.opaque, flow: flow, status: Self.status(for: reason))), to: binding.context)
    }

    /// The slow path is done with the flow: an aborted stream ends (`reason`), and the application
    /// hears that the flow is gone — after the receive entries already routed for it (its last
    /// acknowledgments), so none of them trails the completion. Flows it never knew just go. A flow
    /// whose open completion still waits for room ends its stream only once that completion is
    /// posted (`opened`), so the application never gets the end before the connection.
    private func finish(_ flow: FlowIndex, _ binding: FlowBinding, reason: CloseReason?) {
        let record = flows[Int(flow)]
        flows[Int(flow)] = RuntimeFlow()
        guard record.isKnownToApplication else { return }
        if record.phase == .announcing {
            let end = record.peerFinished ? CloseReason.peerFinished : reason ?? .peerFinished
            streamEndsAfterAnnouncement.append(StreamEnd(context: binding.context, opaque: binding.opaque, flow: flow, reason: end))
        } else if let reason, !record.peerFinished {
            postStreamEnd(StreamEnd(context: binding.context, opaque: binding.opaque, flow: flow, reason: reason))
        }
        let completion = SlowPathEvent.closed(opaque: binding.opaque, flow: flow, reason: reason ?? .closedByApplication)
        // The fast path stops delivering the flow and confirms once its entries are published.
        let ticket = awaitConfirmation(.completion(completion, to: binding.context))
        control.release(flow: flow, context: binding.context, ticket: ticket)
    }

    /// Reports the open of an installed flow (accepted or connected) to its context once the fast
    /// path has carried out every command before (`fence`: the application may write to the flow
    /// as soon as it sees the completion, so the fast path must know the flow and its context by
    /// then); once the completion is in the event queue the flow opens and the bytes already
    /// received are announced. A flow the slow path released already is not announced.
    func announce(_ flow: FlowIndex, as completion: (OpenedConnection) -> SlowPathEvent) {
        guard let state = slowPath.flows.state(of: flow), let binding = slowPath.binding(of: flow) else { return }
        flows[Int(flow)].phase = .announcing
        let opened = OpenedConnection(opaque: binding.opaque, flow: flow, status: .success,
                                      receiveRingOffset: state.receiveRingOffset, receiveRingSize: state.receiveRingSize,
                                      transmitRingOffset: state.transmitRingOffset, transmitRingSize: state.transmitRingSize,
                                      remoteAddress: state.remoteAddress, remotePort: state.remotePort, localPort: state.localPort,
                                      segmentSize: state.maximumSegmentSize)
        let ticket = awaitConfirmation(.announcement(completion(opened), to: binding.context, flow: AnnouncedFlow(flow: flow, opaque: binding.opaque)))
        control.fence(ticket: ticket)
    }

    /// The open completion of a flow is in `context`'s event queue: publish it, then let the fast
    /// path tell the context about the bytes (and the end of stream) that arrived before. A
    /// completion of a connection that ended meanwhile opens nothing, even if its flow index is
    /// announcing another connection by now (that one's own completion opens it).
    private func opened(_ announced: AnnouncedFlow, in context: UInt16) {
        let flow = announced.flow
        if let ended = streamEndsAfterAnnouncement.firstIndex(where: { $0.flow == flow && $0.context == context && $0.opaque == announced.opaque }) {
            requestEndpoints[Int(context)].flush()
            return postStreamEnd(streamEndsAfterAnnouncement.remove(at: ended))
        }
        guard flows[Int(flow)].phase == .announcing, slowPath.binding(of: flow) == FlowBinding(context: context, opaque: announced.opaque),
              slowPath.flows.state(of: flow) != nil else { return }
        flows[Int(flow)].phase = .open
        requestEndpoints[Int(context)].flush()
        control.open(flow: flow, context: context, opaque: announced.opaque)
        if flows[Int(flow)].peerFinished { endStream(of: flow, FlowBinding(context: context, opaque: announced.opaque)) }
    }

    /// The peer finished the open flow's byte stream (bound to `binding`).
    private func endStream(of flow: FlowIndex, _ binding: FlowBinding) {
        flows[Int(flow)].peerFinished = true
        postStreamEnd(StreamEnd(context: binding.context, opaque: binding.opaque, flow: flow, reason: .peerFinished))
    }

    /// Queues the end of a flow's byte stream for its receive queue (the fast path posts it).
    private func postStreamEnd(_ end: StreamEnd) {
        control.endStream(flow: end.flow, context: end.context, opaque: end.opaque, reason: end.reason)
    }

    /// Posts a completion to `context`'s event queue, behind any that wait for room.
    func complete(_ event: SlowPathEvent, to context: UInt16, announcing announced: AnnouncedFlow? = nil) {
        eventQueuesMayHaveEntries = true
        if outboxes[Int(context)].isEmpty && requestEndpoints[Int(context)].post(event) {
            if let announced { opened(announced, in: context) }
        } else {
            deferredCompletions &+= 1
            outboxesMayHoldEntries = true
            outboxes[Int(context)].append(OutboxEntry(event: event, announces: announced))
            largestOutbox = max(largestOutbox, outboxes[Int(context)].count)
        }
    }

    /// Posts the completions that waited for room (one load when none waits).
    @inline(__always)
    func retryPending() {
        if outboxesMayHoldEntries { postWaitingCompletions() }
    }

    private func postWaitingCompletions() {
        outboxesMayHoldEntries = false
        for context in served.list where !outboxes[context].isEmpty {
            while let entry = outboxes[context].first, requestEndpoints[context].post(entry.event) {
                eventQueuesMayHaveEntries = true
                outboxes[context].removeFirst()
                if let announced = entry.announces { opened(announced, in: UInt16(context)) }
            }
            if !outboxes[context].isEmpty { outboxesMayHoldEntries = true }
        }
    }

    /// Asks every context whose completions wait in the outbox for a signal once its event queue
    /// has room, so an idle runtime thread wakes when the application polls; true if one has room
    /// already (`retryPending` can post now).
    func requestRoomForWaitingCompletions() -> Bool {
        var roomFound = false
        for context in served.list where !outboxes[context].isEmpty && requestEndpoints[context].requestRoom() {
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
        case .listenerClosed: .listenerClosed
        case .applicationDetached: .connectionRefused
        }
    }
}
