import FlexWire

// The contexts' requests to the slow path (dissertation A.4 listener and connection operations).
extension SlowPathContextService {
    /// Moves every context's published requests (up to `requestsPerContext` each) into the buffer.
    func takeRequests() -> Bool {
        var taken = false
        // Only the queues with published entries (a look at two indices); those it skips have a count of 0.
        for context in requestEndpoints.indices where queues[context].requests.hasUnconsumedEntries {
            let slice = UnsafeMutableBufferPointer(rebasing: requestBuffer[context * requestsPerContext ..< (context + 1) * requestsPerContext])
            requestCounts[context] = requestEndpoints.withUnretainedElement(context) { $0.poll(into: slice) }
            if requestCounts[context] > 0 { taken = true }
        }
        return taken
    }

    func applyRequests(now: UInt64) {
        for context in requestEndpoints.indices where requestCounts[context] > 0 {
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
            guard owns(flow, context: context) else { return reject(request, from: context) }
            guard Int(newContext) < requestEndpoints.count, newContext != context else {
                let status: SlowPathStatus = newContext == context ? .invalidArgument : .noSuchContext
                return complete(.moved(opaque: flows[Int(flow)].opaque, flow: flow, context: newContext, status: status), to: context)
            }
            let move = PendingMove(context: context, flow: flow, opaque: flows[Int(flow)].opaque, newContext: newContext)
            let ticket = awaitConfirmation(.move(move))
            control.move(flow: flow, from: context, to: newContext, opaque: move.opaque, ticket: ticket)
        }
    }

    private func openListener(port: UInt16, backlog: UInt32, opaque: UInt64, context: UInt16) {
        let listener = UInt32(listeners.count)
        var status = SlowPathStatus.success
        if port == 0 || backlog == 0 {
            status = .invalidArgument
        } else {
            do {
                try slowPath.listen(port: port, backlog: Int(min(backlog, UInt32(acceptQueueLimit))), opaque: UInt64(listener),
                                    context: context)
                listeners.append(RuntimeListener(port: port, context: context, opaque: opaque))
            } catch {
                status = .addressInUse
            }
        }
        complete(.listenerOpened(opaque: opaque, listener: status == .success ? listener : 0, status: status), to: context)
    }

    private func accept(listener: UInt32, opaque: UInt64, context: UInt16) {
        guard Int(listener) < listeners.count else {
            return complete(.accepted(OpenedConnection(opaque: opaque, flow: 0, status: .noSuchListener)), to: context)
        }
        guard listeners[Int(listener)].accepts.count < acceptQueueLimit else {
            return complete(.accepted(OpenedConnection(opaque: opaque, flow: 0, status: .resourcesExhausted)), to: context)
        }
        listeners[Int(listener)].accepts.append((context, opaque))
        matchAccepts(listener: Int(listener))
    }

    private func openConnection(to address: IPv4Address, port: UInt16, opaque: UInt64, context: UInt16, now: UInt64) {
        do {
            let flow = try slowPath.connect(to: address, port: port, opaque: opaque, context: context, now: now)
            flows[Int(flow)] = RuntimeFlow(phase: .connecting, context: context, opaque: opaque)
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
        while !listeners[index].accepts.isEmpty, let flow = slowPath.accept(port: listeners[index].port) {
            let (context, opaque) = listeners[index].accepts.removeFirst()
            control.setDelivery(flow: flow, context: context, opaque: opaque)
            flows[Int(flow)].context = context
            flows[Int(flow)].opaque = opaque
            announce(flow, as: SlowPathEvent.accepted)
        }
    }

    /// True when `flow` is a flow the application of `context` knows.
    private func owns(_ flow: FlowIndex, context: UInt16) -> Bool {
        Int(flow) < flows.count && flows[Int(flow)].isKnownToApplication && flows[Int(flow)].context == context
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
