/// The fast path's share of serving application contexts when the slow path runs on a thread of
/// its own (`StackRuntime.Threading.separateSlowPath`): it drains each context's transmit queue
/// into the fast path, posts flow events to the receive queue of the flow's context, and carries
/// out the slow path's context commands (`FlowCommand.open` and after), in command order, so an
/// announcement or a stream end stays in order with the flow's events.
///
/// Its own per-flow table says which flows are open to an application; the events of the others
/// wait in the rings (counted as `heldFlowEvents`). A release or a move waits until the old
/// context's receive entries (and the flow's stream end) are published, then is confirmed to the
/// slow path by a `FastPathNotice` taken from `notices`.
///
/// Contract: used on the fast path's thread only, after the slow path has been given the same
/// endpoints' other ends. Bounded: one pending entry per command received.
final class ThreadedContextService {
    let endpoints: [FastPathContextEndpoint]
    private var delivering: [Bool]
    private var streamEnds: [StreamEnd] = []
    private var releases: [(context: UInt16, flow: FlowIndex, ticket: UInt32)] = []
    private var moves: [(move: PendingMove, ticket: UInt32)] = []
    /// Confirmations for the slow path, oldest first (the caller sends them and removes those sent).
    var notices: [FastPathNotice] = []
    private(set) var heldFlowEvents: UInt64 = 0

    init(endpoints: [FastPathContextEndpoint], flowCapacity: Int) {
        self.endpoints = endpoints
        delivering = Array(repeating: false, count: flowCapacity)
    }

    func apply(_ command: FlowCommand, fastPath: FastPath) {
        switch command {
        case .open(let flow, let context, let opaque):
            guard Int(flow) < delivering.count, Int(context) < endpoints.count else { return }
            delivering[Int(flow)] = true
            if let state = fastPath.state(of: flow),
               let held = FlowEvent.announcingHeldBytes(of: state, flow: flow, context: context, opaque: opaque) {
                endpoints[Int(context)].post(held)
            }
        case .endStream(let flow, let context, let opaque, let reason):
            guard Int(context) < endpoints.count else { return }
            streamEnds.append(StreamEnd(context: context, opaque: opaque, flow: flow, reason: reason))
        case .release(let flow, let context, let ticket):
            if Int(flow) < delivering.count { delivering[Int(flow)] = false }
            releases.append((context, flow, ticket))
        case .move(let flow, let from, let to, let opaque, let ticket):
            moves.append((PendingMove(context: from, flow: flow, opaque: opaque, newContext: to), ticket))
        default:
            break
        }
    }

    /// Posts the fast path's events of open flows to their contexts and clears them.
    func routeFlowEvents(of fastPath: FastPath) {
        for index in 0..<fastPath.eventCount {
            let event = fastPath.events[index]
            guard Int(event.flow) < delivering.count, delivering[Int(event.flow)], Int(event.context) < endpoints.count else {
                heldFlowEvents &+= 1
                continue
            }
            endpoints[Int(event.context)].post(event)
        }
    }

    /// Applies every context's transmit entries; returns true if any were taken.
    func drainTransmitQueues(into fastPath: FastPath, now: UInt64) -> Bool {
        var taken = false
        for endpoint in endpoints where endpoint.drainTransmitQueue(into: fastPath, now: now) > 0 { taken = true }
        return taken
    }

    /// Posts what waited (stream ends, then releases and moves whose old context is flushed) and
    /// publishes every receive queue.
    func settle(fastPath: FastPath) {
        streamEnds.removeAll { end in
            endpoints[Int(end.context)].postClosed(opaque: end.opaque, flow: end.flow, reason: end.reason)
        }
        for endpoint in endpoints { endpoint.flush() }
        releases.removeAll { release in
            guard isFlushed(release.context, flow: release.flow) else { return false }
            notices.append(.confirmed(ticket: release.ticket, succeeded: true))
            return true
        }
        moves.removeAll { pending in
            let move = pending.move
            guard isFlushed(move.context, flow: move.flow) else { return false }
            let state = fastPath.state(of: move.flow)
            let found = state?.context == move.context && state?.opaque == move.opaque && delivering[Int(move.flow)]
            if found { fastPath.setDelivery(flow: move.flow, context: move.newContext, opaque: move.opaque) }
            notices.append(.confirmed(ticket: pending.ticket, succeeded: found))
            return true
        }
    }

    /// Stream ends, releases or moves wait (for receive-queue room).
    var hasPending: Bool { !streamEnds.isEmpty || !releases.isEmpty || !moves.isEmpty }

    /// `context`'s receive entries are published and no stream end of `flow` waits.
    private func isFlushed(_ context: UInt16, flow: FlowIndex) -> Bool {
        guard Int(context) < endpoints.count else { return true }
        return !endpoints[Int(context)].hasBacklog && !streamEnds.contains { $0.flow == flow }
    }
}
