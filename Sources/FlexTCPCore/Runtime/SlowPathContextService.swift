import Atomics
import FlexPort

/// The slow path's share of serving application contexts, the same in every schedule: it takes
/// each context's requests (listen, accept, connect, close, move), answers them with completions
/// on the context's event queue, turns the slow path's connection events into completions, and
/// matches accepts with established connections. It reaches the fast path only through `control`
/// (the slow path's `ContextFlowControl`): what touches receive queues (announcing a flow's held
/// bytes when it opens, stream ends, releases, moves) is a context command, and completions that
/// must follow the flow's receive entries (`closed`, `moved`) wait for the fast path's
/// confirmation (`fastPathConfirmed`).
///
/// Only the contexts in `served` are looked at each round (requests taken, event queues published,
/// outboxes retried).
///
/// Contract: used on the slow path's thread only (the runtime's thread in a one-thread schedule).
/// A round calls `takeRequests` before the fast path drains the transmit queues (so send/free
/// entries published before a request are applied before it), `applyRequests` after, then
/// `takeConnectionEvents` after each stage of the poll sequence, `retryPending` and `flush`.
/// Event queues are published before the fast path's `open` of a flow, so an application never
/// sees bytes of a flow before the completion that introduces it.
final class SlowPathContextService {
    let slowPath: SlowPath
    let control: any ContextFlowControl
    let queues: [ContextQueues]
    let requestEndpoints: [SlowPathContextEndpoint]
    let served: ServedContexts
    /// Contexts of one application (`ContextRegion.contextsPerGroup`): a flow moves only within them.
    let contextsPerApplication: Int
    let requestsPerContext: Int
    let requestBuffer: UnsafeMutableBufferPointer<SlowPathRequest>
    var requestCounts: [Int]
    var flows: [RuntimeFlow]
    /// Open listeners by identifier (the slot; a closed listener's slot is reused by a later one).
    var listeners: [RuntimeListener?] = []
    var outboxes: [[OutboxEntry]]
    /// False once `retryPending` found every outbox empty, until a completion waits again.
    var outboxesMayHoldEntries = false
    /// Something may wait to be published in an event queue: posted (or a request rejected) since
    /// the last `flush`, or a rejection report that did not fit then. Without it a round's `flush`
    /// costs one load.
    var eventQueuesMayHaveEntries = false
    /// Stream ends of flows that ended while their open completion waited for room; each is posted
    /// once that completion is (`opened`).
    var streamEndsAfterAnnouncement: [StreamEnd] = []
    var confirmations: [UInt32: PendingConfirmation] = [:]
    var nextTicket: UInt32 = 0
    /// Completions that found an event queue full and waited in the outbox.
    var deferredCompletions: UInt64 = 0
    /// The most completions one context's outbox held at once.
    var largestOutbox = 0
    /// A context whose outbox holds this many completions has no more requests taken until it
    /// polls (back-pressure: they wait in its request queue and in its library, not here). So an
    /// outbox holds at most this, plus the completions of one batch of requests (each request
    /// completes once; a closed listener's waiting accepts, at most `acceptQueueLimit`, with it),
    /// plus those of connection events (at most a few per flow index).
    let outboxLimit: Int
    /// Accept requests a listener holds at most (an application cannot grow the runtime's memory).
    let acceptQueueLimit: Int

    /// `slowPath` must have been built on `control` (its `flows`).
    init(slowPath: SlowPath, control: any ContextFlowControl, region: ContextRegion, served: ServedContexts,
         requestsPerContext: Int = 16) throws(ContextQueueError) {
        precondition(slowPath.flows === control, "the slow path reaches the fast path through the service's control")
        self.slowPath = slowPath
        self.control = control
        self.served = served
        let flowCapacity = control.flowCapacity
        var views: [ContextQueues] = []
        for index in 0..<region.count { views.append(try region.queues(index)) }
        queues = views
        requestEndpoints = views.indices.map { SlowPathContextEndpoint(queues: views[$0], signals: region.signals($0)) }
        contextsPerApplication = region.contextsPerGroup
        self.requestsPerContext = requestsPerContext
        requestBuffer = .allocate(capacity: requestsPerContext * region.count)
        requestBuffer.initialize(repeating: .close(flow: 0))
        requestCounts = Array(repeating: 0, count: region.count)
        flows = Array(repeating: RuntimeFlow(), count: flowCapacity)
        outboxes = Array(repeating: [], count: region.count)
        acceptQueueLimit = flowCapacity
        outboxLimit = requestsPerContext
    }

    deinit { requestBuffer.deallocate() }

    /// Service mode: context `index`'s queue set was formatted anew in place (its application's
    /// memory replaced); the slow path's end starts over on it. Completions waiting in its outbox
    /// stay (they are posted to the new queues, where the service drains them while the slot is unused).
    func restartEndpoint(_ index: Int) {
        requestEndpoints[index].restart()
        requestCounts[index] = 0
        eventQueuesMayHaveEntries = true
    }

    /// Publishes every context's event queue (what was posted since the last flush, and rejection
    /// reports that waited for room); nothing to do when nothing was posted and none waited.
    @inline(__always)
    func flush() {
        if eventQueuesMayHaveEntries { publishEventQueues() }
    }

    private func publishEventQueues() {
        eventQueuesMayHaveEntries = false
        for index in served.list {
            requestEndpoints.withUnretainedElement(index) { endpoint in
                endpoint.flush()
                if endpoint.holdsRejection { eventQueuesMayHaveEntries = true }
            }
        }
    }

    /// No completion or rejection report waits for event-queue room (after `flush`).
    var isSettled: Bool { !outboxesMayHoldEntries && !eventQueuesMayHaveEntries }

    /// True when a served context whose requests are taken (`takesRequests`) has published some not taken yet.
    var hasQueuedRequests: Bool {
        for index in served.list where takesRequests(of: index) && queues[index].requests.hasUnconsumedEntries { return true }
        return false
    }

    /// False while the context's outbox holds `outboxLimit` completions or more.
    func takesRequests(of context: Int) -> Bool { outboxes[context].count < outboxLimit }

    /// Sets (or clears) the armed flag of every served context's request queue, so that an application
    /// publishing into one signals the slow path's `ContextRegion.slowPathService`.
    func armRequestQueues(_ armed: Bool) {
        for index in served.list { queues[index].requests.armed.store(armed ? 1 : 0, ordering: .sequentiallyConsistent) }
    }
}
