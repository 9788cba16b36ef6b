import Atomics
import FlexPort

/// The fast path's share of serving application contexts, the same in every schedule: it drains
/// each context's transmit queue into the fast path, routes flow events to the receive queue of
/// the flow's context, and carries out the slow path's context commands (`ContextFlowControl`:
/// open with the announcement of held bytes, stream ends, releases, moves) in command order, so an
/// announcement or a stream end stays in order with the flow's events.
///
/// Its own per-flow table says which flows are open to an application; the events of the others
/// wait in the rings (counted as `heldFlowEvents`). A release or a move waits until the old
/// context's receive entries (and the flow's stream end) are published, then its confirmation is
/// queued in `confirmations` for the slow path (directly on one thread, through the notice ring
/// across threads). A fence waits behind every release and move commanded before it, so the
/// confirmations (and the completions they release) keep command order: a flow index the slow path
/// released and reused is announced to its new connection only after the old one's `closed`.
///
/// Only the contexts in `served` are looked at each round (their transmit queues drained and
/// armed, their receive queues published).
///
/// Contract: used on the fast path's thread only. Bounded: one pending entry per command.
/// Several fast-path threads would each own one service over the contexts they serve.
final class FastPathContextService {
    let queues: [ContextQueues]
    let endpoints: [FastPathContextEndpoint]
    let served: ServedContexts
    private var delivering: [Bool]
    private var streamEnds: [StreamEnd] = []
    private var releases: [(context: UInt16, flow: FlowIndex, ticket: UInt32, sequence: UInt64)] = []
    private var moves: [(move: PendingMove, ticket: UInt32, sequence: UInt64)] = []
    /// Fences waiting for the releases and moves numbered below `after` (in command order).
    private var fences: [(ticket: UInt32, after: UInt64)] = []
    /// The number the next release or move gets.
    private var nextSequence: UInt64 = 0
    /// Confirmations for the slow path, oldest first (the caller hands them on and removes them).
    var confirmations: [FastPathNotice] = []
    private(set) var heldFlowEvents: UInt64 = 0
    /// Something may wait to be published in a receive queue: posted (or rejected) since the last
    /// `flushReceiveQueues`, or a backlog that did not fit then.
    private var receiveQueuesMayHaveEntries = false
    /// A stream end, release, move or fence may wait (`hasPending`): set when one is commanded,
    /// cleared by `settle` once none is left. Without it a round's `settle` looks at four arrays.
    private var commandsMayWait = false

    init(region: ContextRegion, flowCapacity: Int, served: ServedContexts) throws(ContextQueueError) {
        self.served = served
        var views: [ContextQueues] = []
        for index in 0..<region.count { views.append(try region.queues(index)) }
        queues = views
        endpoints = views.indices.map {
            FastPathContextEndpoint(queues: views[$0], signals: region.signals($0), flowCapacity: flowCapacity)
        }
        delivering = Array(repeating: false, count: flowCapacity)
    }

    /// Stream ends, releases or moves of `contexts` wait, or their endpoints hold a backlog.
    func hasPending(for contexts: Range<Int>) -> Bool {
        contexts.contains { endpoints[$0].hasBacklog }
            || streamEnds.contains { contexts.contains(Int($0.context)) }
            || releases.contains { contexts.contains(Int($0.context)) }
            || moves.contains { contexts.contains(Int($0.move.context)) || contexts.contains(Int($0.move.newContext)) }
    }

    // MARK: Context commands

    func open(flow: FlowIndex, context: UInt16, opaque: UInt64, fastPath: FastPath) {
        guard Int(flow) < delivering.count, Int(context) < endpoints.count else { return }
        delivering[Int(flow)] = true
        if let state = fastPath.state(of: flow),
           let held = FlowEvent.announcingHeldBytes(of: state, flow: flow, context: context, opaque: opaque) {
            endpoints.withUnretainedElement(Int(context)) { $0.post(held) }
            receiveQueuesMayHaveEntries = true
        }
    }

    func endStream(_ end: StreamEnd) {
        guard Int(end.context) < endpoints.count else { return }
        streamEnds.append(end)
        commandsMayWait = true
    }

    func release(flow: FlowIndex, context: UInt16, ticket: UInt32) {
        if Int(flow) < delivering.count { delivering[Int(flow)] = false }
        releases.append((context, flow, ticket, takeSequence()))
        commandsMayWait = true
    }

    func move(_ move: PendingMove, ticket: UInt32) {
        moves.append((move, ticket, takeSequence()))
        commandsMayWait = true
    }

    /// Confirms `ticket` once every release and move commanded before it is confirmed.
    func fence(ticket: UInt32) {
        if releases.isEmpty && moves.isEmpty {
            confirmations.append(.confirmed(ticket: ticket, succeeded: true))
        } else {
            fences.append((ticket, nextSequence))
            commandsMayWait = true
        }
    }

    private func takeSequence() -> UInt64 {
        defer { nextSequence &+= 1 }
        return nextSequence
    }

    // MARK: Rounds

    /// Applies every context's transmit entries; returns true if any were taken.
    func drainTransmitQueues(into fastPath: FastPath, now: UInt64) -> Bool {
        var taken = false
        // Only the queues with published entries: a look at two indices is far cheaper than a drain.
        for index in served.list where queues[index].transmit.hasUnconsumedEntries {
            endpoints.withUnretainedElement(index) { endpoint in
                if endpoint.drainTransmitQueue(into: fastPath, now: now) > 0 { taken = true }
                // A rejected entry (or skipped slot) is answered on the receive queue.
                if endpoint.hasUnpublishedEntries { receiveQueuesMayHaveEntries = true }
            }
        }
        return taken
    }

    /// Posts the fast path's events of open flows to their contexts (the caller clears them).
    func routeFlowEvents(of fastPath: FastPath) {
        if fastPath.eventCount > 0 { receiveQueuesMayHaveEntries = true }
        for index in 0..<fastPath.eventCount {
            let event = fastPath.events[index]
            guard Int(event.flow) < delivering.count, delivering[Int(event.flow)], Int(event.context) < endpoints.count else {
                heldFlowEvents &+= 1
                continue
            }
            endpoints.withUnretainedElement(Int(event.context)) { $0.post(event) }
        }
    }

    /// Posts what waited (stream ends), publishes every receive queue, then carries out the releases
    /// and moves whose old context is flushed and queues their confirmations.
    func settle(fastPath: FastPath) {
        guard commandsMayWait else { return flushReceiveQueues() }
        settleCommands(fastPath: fastPath)
        commandsMayWait = hasPending
    }

    /// `settle` when a command may wait.
    private func settleCommands(fastPath: FastPath) {
        // Emptying an array costs hundreds of instructions even when it is empty: only touch what holds something.
        if !streamEnds.isEmpty {
            receiveQueuesMayHaveEntries = true
            streamEnds.removeAll { end in
                endpoints[Int(end.context)].postClosed(opaque: end.opaque, flow: end.flow, reason: end.reason)
            }
        }
        flushReceiveQueues()
        if !releases.isEmpty {
            releases.removeAll { release in
                guard isFlushed(release.context, flow: release.flow) else { return false }
                confirmations.append(.confirmed(ticket: release.ticket, succeeded: true))
                return true
            }
        }
        if !moves.isEmpty {
            moves.removeAll { pending in
                let move = pending.move
                guard isFlushed(move.context, flow: move.flow) else { return false }
                let state = fastPath.state(of: move.flow)
                let found = state?.context == move.context && state?.opaque == move.opaque && delivering[Int(move.flow)]
                if found { fastPath.setDelivery(flow: move.flow, context: move.newContext, opaque: move.opaque) }
                confirmations.append(.confirmed(ticket: pending.ticket, succeeded: found))
                return true
            }
        }
        if !fences.isEmpty { confirmPassedFences() }
    }

    /// Confirms the fences whose earlier releases and moves are all confirmed, oldest first.
    private func confirmPassedFences() {
        let oldestPending = min(releases.first?.sequence ?? .max, moves.first?.sequence ?? .max)
        var passed = 0
        while passed < fences.count, fences[passed].after <= oldestPending {
            confirmations.append(.confirmed(ticket: fences[passed].ticket, succeeded: true))
            passed += 1
        }
        fences.removeFirst(passed)
    }

    /// Publishes every served receive queue (what was posted since the last flush, and backlogs); nothing
    /// to do when nothing was posted and no backlog waited.
    @inline(__always)
    func flushReceiveQueues() {
        if receiveQueuesMayHaveEntries { publishReceiveQueues() }
    }

    private func publishReceiveQueues() {
        receiveQueuesMayHaveEntries = false
        for index in served.list {
            endpoints.withUnretainedElement(index) { endpoint in
                endpoint.flush()
                if endpoint.hasBacklog { receiveQueuesMayHaveEntries = true }
            }
        }
    }

    /// Stream ends, releases, moves or fences wait (for receive-queue room).
    var hasPending: Bool { commandsMayWait && (!streamEnds.isEmpty || !releases.isEmpty || !moves.isEmpty || !fences.isEmpty) }

    /// Nothing waits to be posted, published or confirmed: no pending command, no receive-queue
    /// entry or backlog unpublished, no confirmation not handed over.
    var isSettled: Bool { !receiveQueuesMayHaveEntries && confirmations.isEmpty && !hasPending }

    /// Asks every context whose receive entries or stream ends wait for receive-queue room for a
    /// signal once it has room, so an idle runtime thread wakes when the application polls; true
    /// if one has room already (`settle` can post now).
    func requestRoomForWaitingEntries() -> Bool {
        var roomFound = false
        for index in served.list {
            let asked = endpoints.withUnretainedElement(index) { endpoint in
                (endpoint.hasBacklog || streamEnds.contains { $0.context == endpoint.context }) && endpoint.requestRoom()
            }
            if asked { roomFound = true }
        }
        return roomFound
    }

    /// `context`'s receive entries are published and no stream end of `flow` waits.
    private func isFlushed(_ context: UInt16, flow: FlowIndex) -> Bool {
        guard Int(context) < endpoints.count else { return true }
        return !endpoints[Int(context)].hasBacklog && !streamEnds.contains { $0.flow == flow }
    }

    // MARK: Idle

    /// True when a served context has published transmit entries not taken yet.
    @inline(__always)
    var hasQueuedTransmits: Bool {
        for index in served.list where queues[index].transmit.hasUnconsumedEntries { return true }
        return false
    }

    /// Sets (or clears) the armed flag of every served context's transmit queue, so that an application
    /// publishing into one signals the fast path's `ContextRegion.service` (`FrameRingLayout`).
    func armTransmitQueues(_ armed: Bool) {
        for index in served.list { queues[index].transmit.armed.store(armed ? 1 : 0, ordering: .sequentiallyConsistent) }
    }
}

extension FrameRing {
    /// The producer has published entries the consumer has not taken (as far as this thread sees).
    var hasUnconsumedEntries: Bool {
        producerIndex.load(ordering: .sequentiallyConsistent) != consumerIndex.load(ordering: .relaxed)
    }
}
