import FlexPort

/// The work of a `StackRuntime`, confined to the runtime's thread: it serves every context's
/// queues from one `Stack` (fast path, slow path, network host and port).
///
/// With a `link` (the slow path of a `ThreadedStack`, whose fast path runs on another thread) it
/// does only the slow path's share, in `serveSlowPath`: requests, completions and connection
/// events; what touches receive queues goes to the fast path's thread as `FlowCommand`s
/// (`ThreadedContextService` carries them out), and completions that must follow the flow's
/// receive entries wait for its confirmation (`fastPathConfirmed`).
///
/// Contract: one thread calls `step` and `idleWait`, nothing else touches the stack meanwhile.
/// Each `step` takes the contexts' requests, then applies their transmit queues (so send/free
/// entries published before a request are applied before it), then the requests, then moves one
/// receive batch through fast and slow path, runs timers and transmits, routes flow events to the
/// owning context's receive queue (`FlowState.context`) and connection events to event queues,
/// and publishes: event queues first, then receive queues, so an application never sees bytes of
/// a flow before the completion that introduces it.
final class RuntimeEngine {
    let stack: Stack
    let region: ContextRegion
    var fastPath: FastPath { stack.fastPath }
    let slowPath: SlowPath
    /// The fast path on another thread, if it runs apart.
    let link: FastPathLink?
    let queues: [ContextQueues]
    let flowEndpoints: [FastPathContextEndpoint]
    let requestEndpoints: [SlowPathContextEndpoint]
    let requestsPerContext: Int
    let requestBuffer: UnsafeMutableBufferPointer<SlowPathRequest>
    var requestCounts: [Int]
    var flows: [RuntimeFlow]
    var listeners: [RuntimeListener] = []
    var outboxes: [[OutboxEntry]]
    var streamEnds: [StreamEnd] = []
    var moves: [PendingMove] = []
    var confirmations: [UInt32: PendingConfirmation] = [:]
    var nextTicket: UInt32 = 0
    var statistics = RuntimeStatistics()
    /// Accept requests a listener holds at most (an application cannot grow the runtime's memory).
    let acceptQueueLimit: Int

    /// `separate`: the threaded stack whose slow path to serve from (the `stack` then only supplies
    /// its configuration).
    init(stack: Stack, region: ContextRegion, separate: ThreadedStack? = nil, requestsPerContext: Int = 16) throws(ContextQueueError) {
        self.stack = stack
        self.region = region
        slowPath = separate?.slowPath ?? stack.slowPath
        link = separate?.link
        let flowCapacity = stack.fastPath.configuration.flowCapacity
        var views: [ContextQueues] = []
        for index in 0..<region.count { views.append(try region.queues(index)) }
        queues = views
        flowEndpoints = views.indices.map {
            FastPathContextEndpoint(queues: views[$0], signals: region.signals($0), flowCapacity: flowCapacity)
        }
        requestEndpoints = views.indices.map { SlowPathContextEndpoint(queues: views[$0], signals: region.signals($0)) }
        self.requestsPerContext = requestsPerContext
        requestBuffer = .allocate(capacity: requestsPerContext * region.count)
        requestBuffer.initialize(repeating: .close(flow: 0))
        requestCounts = Array(repeating: 0, count: region.count)
        flows = Array(repeating: RuntimeFlow(), count: flowCapacity)
        outboxes = Array(repeating: [], count: region.count)
        acceptQueueLimit = flowCapacity
    }

    deinit { requestBuffer.deallocate() }

    /// One round over every context and the port. Returns true if anything was taken or sent.
    func step(now: UInt64) -> Bool {
        var busy = takeRequests()
        for endpoint in flowEndpoints {
            if endpoint.drainTransmitQueue(into: fastPath, now: now) > 0 { busy = true }
        }
        routeFlowEvents()
        applyRequests(now: now)
        busy = runNetwork(now: now) || busy
        retryPending()
        for endpoint in requestEndpoints { endpoint.flush() }
        for endpoint in flowEndpoints { endpoint.flush() }
        return busy
    }

    /// The slow path's share of a round when the fast path runs apart: requests, connection
    /// events, what waited for room. Returns true if a request was taken.
    func serveSlowPath(now: UInt64) -> Bool {
        let busy = takeRequests()
        applyRequests(now: now)
        takeConnectionEvents()
        retryPending()
        for endpoint in requestEndpoints { endpoint.flush() }
        link?.flush()
        return busy
    }

    /// Receive, fast path, slow path, timers, transmit; flow and connection events routed after each.
    private func runNetwork(now: UInt64) -> Bool {
        stack.poll(now: now) {
            routeFlowEvents()
            takeConnectionEvents()
        }
    }

    /// Posts the fast path's events of open flows to their contexts; the others wait in the rings.
    func routeFlowEvents() {
        for index in 0..<fastPath.eventCount {
            let event = fastPath.events[index]
            guard flows[Int(event.flow)].phase == .open, Int(event.context) < flowEndpoints.count else {
                statistics.heldFlowEvents &+= 1
                continue
            }
            flowEndpoints[Int(event.context)].post(event)
        }
        fastPath.clearEvents()
    }

    /// The earliest time the stack has timer or pacing work.
    var nextDeadline: UInt64 { min(slowPath.nextDeadline, fastPath.nextTransmitTime ?? .max) }

    /// True when a context has published requests or transmit entries the runtime has not taken.
    var hasQueuedWork: Bool { hasQueuedTransmits || hasQueuedRequests }
    var hasQueuedTransmits: Bool { queues.contains { Self.hasEntries($0.transmit) } }
    var hasQueuedRequests: Bool { queues.contains { Self.hasEntries($0.requests) } }

    private static func hasEntries(_ ring: FrameRing) -> Bool {
        ring.producerIndex.load(ordering: .sequentiallyConsistent) != ring.consumerIndex.load(ordering: .relaxed)
    }

    /// Sets (or clears) the armed flag of every context's transmit and request queue, so that an
    /// application publishing into one signals `ContextRegion.service` (`FrameRingLayout`).
    func armContextQueues(_ armed: Bool) {
        armTransmitQueues(armed)
        armRequestQueues(armed)
    }

    /// The fast path's share when it sleeps apart: applications signal `ContextRegion.service`.
    func armTransmitQueues(_ armed: Bool) {
        for view in queues { view.transmit.armed.store(armed ? 1 : 0, ordering: .sequentiallyConsistent) }
    }

    /// The slow path's share when it sleeps apart: applications signal `ContextRegion.slowPathService`.
    func armRequestQueues(_ armed: Bool) {
        for view in queues { view.requests.armed.store(armed ? 1 : 0, ordering: .sequentiallyConsistent) }
    }
}

/// What a `StackRuntime` counted while serving its contexts.
public struct RuntimeStatistics: Sendable, Equatable {
    /// Flow events not posted because the flow was not open to an application (yet, or any more).
    public var heldFlowEvents: UInt64 = 0
    /// Completions that found an event queue full and waited in the outbox.
    public var deferredCompletions: UInt64 = 0
    /// Idle sleeps: on the port's readiness descriptor and the contexts' service signal together,
    /// or (a port without descriptor) in slices on the port.
    public var idleWaits: UInt64 = 0
    public var idleSliceWaits: UInt64 = 0
    /// CPU time the runtime's thread used from its start to its end (CLOCK_THREAD_CPUTIME_ID); with
    /// a separate slow path, both threads' sum (and `idleWaits` counts both threads' sleeps).
    public var threadCPUNanoseconds: UInt64 = 0
    public init() {}
}
