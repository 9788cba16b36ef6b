import FlexTCPCore

/// What arrived on a context for a flow moving into it before the `Connection` itself: the flow's
/// receive entries merged into one (they are additive: contiguous bytes, summed acknowledgments),
/// the end of its stream and the runtime's closed completion.
struct HeldArrival {
    var opaque: UInt64
    var received: FlowEvent?
    var streamEnd: CloseReason?
    var finish: CloseReason?

    mutating func hold(_ event: FlowEvent) {
        guard var merged = received else { return received = event }
        if merged.receivedBytes == 0 { merged.receivedPosition = event.receivedPosition }
        merged.receivedBytes &+= event.receivedBytes
        merged.acknowledgedBytes &+= event.acknowledgedBytes
        received = merged
    }
}

// A.4 move: a connection changes contexts (threads) of the same runtime.
extension Context {
    /// Moves `connection` to `target`, another context of the same stack (A.4 move): from then on
    /// its events go to `target`. This context reports `moved` when the stack has moved it; `target`
    /// then reports `movedIn` and serves it (the same `Connection` object, to be used on `target`'s
    /// thread from then on). Until `moved`, events of the connection still arrive here; sends, frees
    /// and a close made meanwhile are carried out by whichever context holds the connection after
    /// the move. A connection this context does not hold (`unknownConnection`), this context itself
    /// (`invalidArgument`) or a context of another stack (`foreignContext`) is answered with a
    /// `moveFailed` event at the next `poll`.
    public func move(_ connection: Connection, to target: Context) {
        let error: TCPError
        if !holds(connection) || connection.moveTarget != nil {
            error = .unknownConnection
        } else if target === self {
            error = .invalidArgument
        } else if target.attachment.region !== attachment.region {
            error = .foreignContext
        } else {
            connection.moveTarget = target
            target.inbox.expect(flow: connection.flow, opaque: connection.opaque)
            request(.move(flow: connection.flow, context: target.attachment.runtimeContext), for: connection)
            return
        }
        localEvents.append(.moveFailed(connection, error))
    }

    /// True if the connection is open, the runtime has not completed it (`closed`: its flow index
    /// may already be another connection's) and this context serves it (operations on others are ignored).
    @inline(__always)
    func holds(_ connection: Connection) -> Bool {
        connection.isOpen && connection.finishReason == nil
            && unretainedConnection(at: connection.flow)?.toOpaque() == Unmanaged.passUnretained(connection).toOpaque()
    }

    /// The connection held at `flow` (nil: none, or no such index), read without retaining it:
    /// `connections` keeps it alive until that slot changes.
    @inline(__always)
    func unretainedConnection(at flow: FlowIndex) -> Unmanaged<Connection>? {
        guard Int(flow) < connections.count else { return nil }
        // `Connection?` and `Unmanaged<Connection>?` share one layout (a pointer, nil as zero).
        return connections.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress.unsafelyUnwrapped + Int(flow)).load(as: Unmanaged<Connection>?.self) }
    }

    /// The runtime's answer to a move this context asked for: success waits in `completedMoves`
    /// for the receive entries published before it; a failure gives the connection back.
    func moveCompleted(flow: FlowIndex, opaque: UInt64, status: SlowPathStatus, _ body: (ContextEvent) -> Void) -> Int {
        guard Int(flow) < connections.count, let connection = connections[Int(flow)], connection.opaque == opaque,
              connection.moveTarget != nil else {
            staleEntries &+= 1
            return 0
        }
        if let error = TCPError(status) {
            moveFailed(connection, error: error, body)
            return 1
        }
        completedMoves.append(connection)
        return 0
    }

    /// The move of `connection` did not happen: it stays here, with what was held back for it.
    func moveFailed(_ connection: Connection, error: TCPError, _ body: (ContextEvent) -> Void) {
        connection.moveTarget?.inbox.withdraw(flow: connection.flow)
        connection.moveTarget = nil
        resume(connection)
        body(.moveFailed(connection, error))
    }

    /// Hands the connections of completed moves to their new contexts (once the receive entries
    /// published before their `moved` are handled).
    func handOverCompletedMoves(_ body: (ContextEvent) -> Void) -> Int {
        var reported = 0
        for connection in completedMoves {
            guard let target = connection.moveTarget else { continue }
            dropCounts(of: connection)
            connections[Int(connection.flow)] = nil
            connection.moveTarget = nil
            target.inbox.deliver(connection)
            target.wakeup.signal()
            body(.moved(connection))
            reported += 1
        }
        completedMoves.removeAll()
        return reported
    }

    /// Takes the connections other contexts delivered, then replays what arrived for them. A
    /// connection this context still holds at the same flow index is one the runtime is done with
    /// (it reuses an index only then): it retires, as for a new `accepted`/`connected`.
    func adoptArrivals(_ body: (ContextEvent) -> Void) -> Int {
        var reported = 0
        for connection in inbox.takeDelivered() {
            let arrival = held.removeValue(forKey: connection.flow)
            retireHolder(of: connection.flow)
            connections[Int(connection.flow)] = connection
            body(.movedIn(connection))
            reported += 1
            resume(connection)
            if let event = arrival?.received { reported += handle(.received(event), body) }
            if let reason = arrival?.streamEnd { reported += handle(.closed(opaque: connection.opaque, flow: connection.flow, reason: reason), body) }
            if let reason = arrival?.finish { finish(connection, reason: reason) }
        }
        return reported
    }

    /// Keeps a receive entry or completion of a flow that is moving here; false when the flow is
    /// not expected (the entry is stale).
    func holdIfArriving(flow: FlowIndex, opaque: UInt64, _ update: (inout HeldArrival) -> Void) -> Bool {
        if held[flow]?.opaque != opaque {
            guard inbox.isExpected(flow: flow, opaque: opaque) else { return false }
            held[flow] = HeldArrival(opaque: opaque)
        }
        update(&held[flow]!)
        return true
    }

    /// Hands over what the connection held back while it moved: counts, then a close.
    private func resume(_ connection: Connection) {
        handOver(connection)
        if connection.closeAwaitsMove {
            connection.closeAwaitsMove = false
            request(.close(flow: connection.flow), for: connection)
        }
    }
}
