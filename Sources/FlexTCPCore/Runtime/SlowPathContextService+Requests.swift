import FlexWire

// The contexts' requests to the slow path (dissertation A.4 listener and connection operations).
extension SlowPathContextService {
    /// Moves every served context's published requests (up to `requestsPerContext` each) into the buffer,
    /// except those of contexts whose completions wait for room (`takesRequests`).
    func takeRequests() -> Bool {
        var taken = false
        // Only the queues with published entries (a look at two indices) of contexts that take
        // requests now; those it skips keep a count of 0.
        for context in served.list where queues[context].requests.hasUnconsumedEntries && takesRequests(of: context) {
            let slice = UnsafeMutableBufferPointer(rebasing: requestBuffer[context * requestsPerContext ..< (context + 1) * requestsPerContext])
            // A request that does not decode is answered on the event queue.
            eventQueuesMayHaveEntries = true
            requestCounts[context] = requestEndpoints.withUnretainedElement(context) { $0.poll(into: slice) }
            if requestCounts[context] > 0 { taken = true }
        }
        return taken
    }

    func applyRequests(now: UInt64) {
        for context in served.list where requestCounts[context] > 0 {
            for index in 0..<requestCounts[context] {
                apply(requestBuffer[context * requestsPerContext + index], from: UInt16(context), now: now)
            }
            requestCounts[context] = 0
        }
    }

    private func apply(_ request: SlowPathRequest, from context: UInt16, now: UInt64) {
        switch request {
        case .openListener(let port, let backlog, let opaque):
            openListener(port: port, backlog: backlog, opaque: opaque, context: context)
        case .accept(let listener, let opaque):
            accept(listener: listener, opaque: opaque, context: context)
        case .openConnection(let address, let port, let opaque):
            openConnection(to: address, port: port, opaque: opaque, context: context, now: now)
        case .close(let flow):
            guard owns(flow, context: context) else { return reject(request, from: context) }
            // A second close changes nothing: the first one's completion is still to come.
            slowPath.close(flow: flow, now: now)
        case .move(let flow, let newContext):
            guard owns(flow, context: context), let binding = slowPath.binding(of: flow) else { return reject(request, from: context) }
            guard Int(newContext) < requestEndpoints.count, newContext != context,
                  Int(newContext) / contextsPerApplication == Int(context) / contextsPerApplication else {
                let status: SlowPathStatus = newContext == context ? .invalidArgument : .noSuchContext
                return complete(.moved(opaque: binding.opaque, flow: flow, context: newContext, status: status), to: context)
            }
            let move = PendingMove(context: context, flow: flow, opaque: binding.opaque, newContext: newContext)
            let ticket = awaitConfirmation(.move(move))
            control.move(flow: flow, from: context, to: newContext, opaque: move.opaque, ticket: ticket)
        case .closeListener(let listener, let opaque):
            closeListener(listener, opaque: opaque, context: context, now: now)
        }
    }

    private func openListener(port: UInt16, backlog: UInt32, opaque: UInt64, context: UInt16) {
        // The first free slot: the listeners open at once, at most one per port.
        let listener = listeners.firstIndex { $0 == nil } ?? listeners.count
        var status = SlowPathStatus.success
        if port == 0 || backlog == 0 {
            status = .invalidArgument
        } else {
            do {
                try slowPath.listen(port: port, backlog: Int(min(backlog, UInt32(acceptQueueLimit))), opaque: opaque, context: context)
                if listener == listeners.count { listeners.append(nil) }
                listeners[listener] = RuntimeListener(port: port, context: context, opaque: opaque)
            } catch {
                status = .addressInUse
            }
        }
        complete(.listenerOpened(opaque: opaque, listener: status == .success ? UInt32(listener) : 0, status: status), to: context)
    }

    private func accept(listener: UInt32, opaque: UInt64, context: UInt16) {
        guard let index = heldListener(listener, of: context) else {
            return complete(.accepted(OpenedConnection(opaque: opaque, flow: 0, status: .noSuchListener)), to: context)
        }
        guard listeners[index]!.accepts.count < acceptQueueLimit else {
            return complete(.accepted(OpenedConnection(opaque: opaque, flow: 0, status: .resourcesExhausted)), to: context)
        }
        listeners[index]!.accepts.append((context, opaque))
        matchAccepts(listener: index)
    }

    /// Stops the listener (`SlowPath.closeListener`: its port is free, its half-open and
    /// not-yet-accepted connections are reset), fails its waiting accepts, then completes.
    func closeListener(_ listener: UInt32, opaque: UInt64, context: UInt16, now: UInt64) {
        guard let index = heldListener(listener, of: context), let closed = listeners[index] else {
            return complete(.listenerClosed(opaque: opaque, listener: listener, status: .noSuchListener), to: context)
        }
        listeners[index] = nil
        slowPath.closeListener(port: closed.port, now: now)
        for accept in closed.accepts {
            complete(.accepted(OpenedConnection(opaque: accept.opaque, flow: 0, status: .listenerClosed)), to: accept.context)
        }
        complete(.listenerClosed(opaque: opaque, listener: listener, status: .success), to: context)
    }

    /// The slot of `listener` when it is open and was opened by `context` (a context never touches another's listeners).
    private func heldListener(_ listener: UInt32, of context: UInt16) -> Int? {
        guard Int(listener) < listeners.count, listeners[Int(listener)]?.context == context else { return nil }
        return Int(listener)
    }

    private func openConnection(to address: IPv4Address, port: UInt16, opaque: UInt64, context: UInt16, now: UInt64) {
        do {
            let flow = try slowPath.connect(to: address, port: port, opaque: opaque, context: context, now: now)
            flows[Int(flow)] = RuntimeFlow(phase: .connecting)
        } catch {
            let status: SlowPathStatus = switch error {
            case .noRoute: .unreachable
            case .noFreeFlow, .noEphemeralPort: .resourcesExhausted
            case .portInUse, .invalidBacklog: .invalidArgument
            }
            complete(.connected(OpenedConnection(opaque: opaque, flow: 0, status: status)), to: context)
        }
    }

    /// Hands waiting connections of `listener` to its waiting accepts, oldest to oldest.
    func matchAccepts(listener index: Int) {
        while let listener = listeners[index], !listener.accepts.isEmpty, let flow = slowPath.accept(port: listener.port) {
            let (context, opaque) = listeners[index]!.accepts.removeFirst()
            slowPath.bind(flow, to: FlowBinding(context: context, opaque: opaque), deliver: true)
            announce(flow, as: SlowPathEvent.accepted)
        }
    }

    /// True when `flow` is a flow the application of `context` knows.
    private func owns(_ flow: FlowIndex, context: UInt16) -> Bool {
        Int(flow) < flows.count && flows[Int(flow)].isKnownToApplication && slowPath.binding(of: flow)?.context == context
    }

    private func reject(_ request: SlowPathRequest, from context: UInt16) {
        let (type, flow): (UInt8, FlowIndex) = switch request {
        case .close(let flow): (ContextQueueLayout.EntryType.close, flow)
        case .move(let flow, _): (ContextQueueLayout.EntryType.move, flow)
        default: (0, 0)
        }
        complete(.rejected(EntryRejection(reason: .flowNotOwned, rejectedType: type, rejectedWord: flow, rejectedDetail: 0)), to: context)
    }
}
