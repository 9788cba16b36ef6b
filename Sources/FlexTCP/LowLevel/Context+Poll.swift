import FlexTCPCore

// Polling: the queues' entries turned into `ContextEvent`s.
extension Context {
    /// Hands over what waits, then reports every available event to `body`, completions first
    /// (so a connection's bytes never come before its `accepted` or `connected`). Returns how many
    /// events it reported. Not re-entrant: `body` must not call `poll` of the same context.
    @discardableResult
    public func poll(_ body: (ContextEvent) -> Void) -> Int {
        // Nothing of ours waits and nothing was published to us: the steps below would find nothing.
        if localEvents.isEmpty && pendingUpdates.isEmpty && requests.isEmpty && finishing.isEmpty && completedMoves.isEmpty
            && endpoint.isQuiet && !inbox.mayHaveDeliveries { return 0 }
        var reported = localEvents.count
        if reported > 0 {
            for event in localEvents { body(event) }
            localEvents.removeAll()
        }
        if inbox.mayHaveDeliveries { reported += adoptArrivals(body) }
        submitWaiting()
        // Flow entries first, completions second: the runtime publishes a connection's completion
        // before its first flow entry, so every flow entry taken here has its completion visible.
        let flowCount = endpoint.poll(into: flowEntries)
        while true {
            let eventCount = endpoint.pollEvents(into: eventEntries)
            if eventCount == 0 { break }
            for index in 0..<eventCount { reported += handle(eventEntries[index], body) }
        }
        for index in 0..<flowCount { reported += handle(flowEntries[index], body) }
        if !finishing.isEmpty || !completedMoves.isEmpty { reported += settleCompletions(body) }
        return reported
    }

    /// Finishes connections whose `closed` completion came and hands over those whose move
    /// completed — after the receive entries the runtime published before those completions (the
    /// last acknowledgments of a flow, the bytes before a move), which are handled first. Called
    /// when `finishing` or `completedMoves` holds something.
    private func settleCompletions(_ body: (ContextEvent) -> Void) -> Int {
        var reported = drainReceiveQueue(body)
        for connection in finishing { reported += finishIfDone(connection, body) }
        finishing.removeAll()
        return reported + handOverCompletedMoves(body)
    }

    /// Handles receive entries until the queue was found empty (at most one queue's worth).
    private func drainReceiveQueue(_ body: (ContextEvent) -> Void) -> Int {
        var reported = 0
        var remaining = attachment.region.capacities.receiveEntries + flowEntries.count
        while remaining > 0 {
            let count = endpoint.poll(into: flowEntries)
            for index in 0..<count { reported += handle(flowEntries[index], body) }
            if count < flowEntries.count { break }
            remaining -= count
        }
        return reported
    }

    private func handle(_ event: SlowPathEvent, _ body: (ContextEvent) -> Void) -> Int {
        switch event {
        case .listenerOpened(let opaque, let identifier, let status):
            guard let listener = listeners[opaque] else { return 0 }
            listener.identifier = identifier
            listener.status = status
            if status != .success { listeners[opaque] = nil }
            body(.outcome(status, success: .listening(listener), failure: { .listenFailed(listener, $0) }))
            // Closed before it opened: close it now.
            if status == .success && listener.isClosing {
                request(.closeListener(listener: identifier, opaque: opaque))
            }
        case .listenerClosed(let opaque, _, _):
            guard let listener = listeners.removeValue(forKey: opaque) else { return 0 }
            body(.listenerClosed(listener))
        case .newConnection(let opaque, _, let remoteAddress, let remotePort):
            guard let listener = listeners[opaque] else { return 0 }
            body(.incomingConnection(listener, remoteAddress: remoteAddress, remotePort: remotePort))
        case .accepted(let opened):
            guard let connection = open(opened) else { return 0 }
            body(.outcome(opened.status, success: .accepted(connection), failure: { .acceptFailed(connection, $0) }))
        case .connected(let opened):
            guard let connection = open(opened) else { return 0 }
            body(.outcome(opened.status, success: .connected(connection), failure: { .connectFailed(connection, $0) }))
        case .closed(let opaque, let flow, let reason):
            guard let connection = connection(flow: flow, opaque: opaque, heldBy: { $0.finish = reason }) else { return 0 }
            finish(connection, reason: reason)
            return 0
        case .moved(let opaque, let flow, _, let status):
            return moveCompleted(flow: flow, opaque: opaque, status: status, body)
        case .rejected(let rejection):
            // A move the runtime refused because the flow was gone (closed meanwhile).
            if rejection.rejectedType == ContextQueueLayout.EntryType.move, Int(rejection.rejectedWord) < connections.count,
               let connection = connections[Int(rejection.rejectedWord)], connection.moveTarget != nil {
                moveFailed(connection, error: .unknownConnection, body)
                return 1
            }
            rejectedEntries &+= 1
            return 0
        }
        return 1
    }

    func handle(_ entry: ReceiveQueueEntry, _ body: (ContextEvent) -> Void) -> Int {
        switch entry {
        case .received(let event):
            // The common case, a held connection, without retaining it for the entry.
            if let reported = withHeldConnection(flow: event.flow, opaque: event.opaque, { received(event, on: $0, body) }) {
                return reported
            }
            guard let connection = connection(flow: event.flow, opaque: event.opaque, heldBy: { $0.hold(event) }) else { return 0 }
            return received(event, on: connection, body)
        case .closed(let opaque, let flow, let reason):
            guard let connection = connection(flow: flow, opaque: opaque, heldBy: { $0.streamEnd = reason }),
                  !connection.hasStreamEnded else { return 0 }
            connection.hasStreamEnded = true
            connection.streamEndReason = reason
            var reported = 0
            if reason == .peerFinished {
                body(.endOfStream(connection))
                reported = 1
            }
            return reported + finishIfDone(connection, body)
        case .rejected:
            rejectedEntries &+= 1
            return 0
        }
    }

    /// Reports a `received` entry's new bytes and acknowledgments on `connection`; returns how many events.
    @inline(__always)
    private func received(_ event: FlowEvent, on connection: Connection, _ body: (ContextEvent) -> Void) -> Int {
        var reported = 0
        let received = Int(event.receivedBytes)
        if received > 0, let base = connection.receiveBase, Int(event.receivedPosition) < connection.receiveSize,
           received <= connection.receiveSize - connection.unfreedByteCount {
            if connection.unfreedByteCount == 0 { connection.readPosition = Int(event.receivedPosition) }
            connection.unfreedByteCount += received
            body(.received(connection, RingSpan(base: base, size: connection.receiveSize, position: Int(event.receivedPosition),
                                                count: received)))
            reported += 1
        }
        let acknowledged = min(Int(event.acknowledgedBytes), connection.unacknowledgedByteCount)
        connection.unacknowledgedByteCount -= acknowledged
        if acknowledged > 0 && connection.wantsSendSpace {
            connection.wantsSendSpace = false
            body(.sendSpaceAvailable(connection))
            reported += 1
        }
        return reported
    }

    /// Calls `body` with the connection this context holds at `flow` under `opaque`, without
    /// retaining it around the call: `connections` keeps it alive, since only `poll`'s own steps
    /// change that array and `poll` is not re-entered from its events. Nil when there is none.
    @inline(__always)
    private func withHeldConnection<Result>(flow: FlowIndex, opaque: UInt64, _ body: (Connection) -> Result) -> Result? {
        guard let held = unretainedConnection(at: flow) else { return nil }
        return held._withUnsafeGuaranteedRef { connection in connection.opaque == opaque ? body(connection) : nil }
    }

    /// Takes an accept or connect completion: on success the connection opens on its flow and rings.
    private func open(_ opened: OpenedConnection) -> Connection? {
        guard let connection = opening.removeValue(forKey: opened.opaque) else { return nil }
        guard opened.status == .success else { return connection }
        let region = attachment.payloadRegion
        let window = attachment.payloadWindow
        retireHolder(of: opened.flow)
        guard Int(opened.flow) < connections.count, connections[Int(opened.flow)] == nil, opened.receiveRingSize > 0,
              opened.transmitRingSize > 0,
              window.contains(UInt64(opened.receiveRingOffset)), UInt64(opened.receiveRingOffset) + UInt64(opened.receiveRingSize) <= window.upperBound,
              window.contains(UInt64(opened.transmitRingOffset)), UInt64(opened.transmitRingOffset) + UInt64(opened.transmitRingSize) <= window.upperBound else {
            staleEntries &+= 1
            return nil
        }
        connection.flow = opened.flow
        connection.remoteAddress = opened.remoteAddress
        connection.remotePort = opened.remotePort
        connection.localPort = opened.localPort
        connection.segmentSize = Int(opened.segmentSize)
        connection.receiveBase = region + Int(opened.receiveRingOffset)
        connection.receiveSize = Int(opened.receiveRingSize)
        connection.transmitBase = region + Int(opened.transmitRingOffset)
        connection.transmitSize = Int(opened.transmitRingSize)
        connection.isOpen = true
        connections[Int(opened.flow)] = connection
        return connection
    }

    /// The connection an entry is for; nil when this context does not hold it — then the entry is
    /// kept for a connection moving here (`hold`), or counted as stale.
    private func connection(flow: FlowIndex, opaque: UInt64, heldBy hold: (inout HeldArrival) -> Void) -> Connection? {
        guard Int(flow) < connections.count, let connection = connections[Int(flow)], connection.opaque == opaque else {
            if let retired = retiring[opaque], retired.flow == flow { return retired }
            if !holdIfArriving(flow: flow, opaque: opaque, hold) { staleEntries &+= 1 }
            return nil
        }
        return connection
    }

    /// The runtime hands a flow index to a new connection only once it is done with the old one,
    /// whose last completion or receive entries may still follow: the old one (if this context
    /// still holds it) waits in `retiring` for them, told apart by opaque.
    func retireHolder(of flow: FlowIndex) {
        guard Int(flow) < connections.count, let old = connections[Int(flow)] else { return }
        dropCounts(of: old)
        retiring[old.opaque] = old
        connections[Int(flow)] = nil
    }

    /// The runtime is done with the connection's flow (`closed` completion); it finishes at the
    /// end of the poll (`settleCompletions`).
    func finish(_ connection: Connection, reason: CloseReason) {
        connection.finishReason = reason
        dropCounts(of: connection)
        finishing.append(connection)
    }

    /// A connection is gone once both its stream end and the runtime's completion have arrived.
    private func finishIfDone(_ connection: Connection, _ body: (ContextEvent) -> Void) -> Int {
        guard connection.isOpen, connection.hasStreamEnded, let reason = connection.finishReason else { return 0 }
        connection.moveTarget?.inbox.withdraw(flow: connection.flow)
        connection.moveTarget = nil
        connection.isOpen = false
        if connections[Int(connection.flow)] === connection {
            connections[Int(connection.flow)] = nil
        } else {
            retiring[connection.opaque] = nil
        }
        body(.closed(connection, TCPError(reason)))
        return 1
    }
}
