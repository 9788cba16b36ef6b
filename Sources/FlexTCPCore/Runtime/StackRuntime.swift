import Atomics
import CFlexShim
import FlexPort

/// Embedded threaded mode: a `Stack` run on a thread of its own, serving `contextCount`
/// application contexts through their context queues (`ContextQueueLayout`) in one `ContextRegion`.
///
/// Threads (`threading`): `.single` (the default) — one thread drives both the fast path and the
/// slow path, as described here; `.separateSlowPath` — the fast path and the slow path run on
/// threads of their own (`ThreadedStack`, built on the given stack's port and configuration, whose
/// own fast and slow path then stay unused): the fast-path thread drains transmit queues, posts
/// flow events, announcements and stream ends to receive queues (`ThreadedContextService`); the
/// slow-path thread answers requests and posts completions, and the two agree on opens, closes
/// and moves by `FlowCommand`s and confirmations, so what the application hears below holds in
/// both modes. Each thread then sleeps on its own signal: the fast path on
/// `ContextRegion.service` with the transmit queues armed, the slow path on
/// `ContextRegion.slowPathService` with the request queues armed.
///
/// Each round (single thread) it applies the contexts' transmit queues to the fast path (validated per entry), answers
/// their requests (listen, accept, connect, close, move) with events, moves a receive batch through
/// fast and slow path, runs timers and transmits, and posts flow events to the receive queue of the
/// context that owns the flow. Any context may accept on any listener of the runtime (they belong
/// to one application in embedded mode); the accepted flow belongs to the accepting context.
///
/// What the application hears, per flow: the completion that opens it (`accepted`/`connected`) is
/// published before any receive-queue entry of the flow, and bytes that arrived before it are
/// announced in one `received` entry right after. The receive queue's `closed` entry marks the end
/// of the byte stream (`peerFinished`, or `reset`/`timedOut`); entries that only acknowledge sent
/// bytes may still follow a `peerFinished` one (the peer finished, we may still send). The event
/// queue's `closed` completion says the runtime is done with the flow; the application may forget
/// the flow once it has seen both.
///
/// Idle: the thread sleeps until a frame arrives, an application publishes an entry or frees room
/// the runtime waits for, or the next timer is due — in one poll(2) on the port's readiness
/// descriptor and the contexts' service signal (`ContextRegion.service`), after arming the port
/// and every context's transmit and request queue and looking at all of them once more, so no
/// wake-up is lost (`IdleSleep`). A port without a readiness descriptor (virtual-time middleware)
/// is slept on in slices instead, of at most `maximumIdleSlice` ns (doubling from
/// `minimumIdleSlice` while idle), with the contexts' queues looked at between slices.
///
/// Contract: after `init` the runtime owns the stack; nothing else may touch it. Applications
/// attach with `attachment(for:)` at any time; their requests are served once `start()` has been
/// called. `stop()` ends the thread and joins it; it must be called before the runtime is dropped
/// (the thread keeps the runtime alive). `statistics` is for after `stop()`.
public final class StackRuntime: @unchecked Sendable {
    // Sendable: `engine` is touched by the runtime thread only while it runs, and by callers only
    // before `start` or after `stop` has joined the thread; the rest is immutable or atomic.
    public let region: ContextRegion
    public let minimumIdleSlice: UInt64
    public let maximumIdleSlice: UInt64
    internal let engine: RuntimeEngine
    private let clock: any TimeSource
    private let stopRequested = ManagedAtomic(false)
    private let lifecycle = ManagedAtomic(0)
    private var thread: JoinableThread?
    private let threaded: ThreadedStack?

    /// Which threads run the stack.
    public enum Threading: Sendable, CaseIterable {
        /// One thread for fast path and slow path.
        case single
        /// The fast path and the slow path on a thread each.
        case separateSlowPath
    }

    /// Why a runtime could not be built or started.
    public enum SetupError: Error, Equatable {
        case region(ContextRegion.SetupError)
        case queues(ContextQueueError)
        case thread(Int32)
        case alreadyStarted
        /// The two-thread stack could not be built (the error, described).
        case separateSlowPath(String)
    }

    public init(stack: Stack, contextCount: Int, capacities: ContextQueueCapacities = ContextQueueCapacities(),
                clock: any TimeSource = MonotonicTimeSource(), minimumIdleSlice: UInt64 = 20_000,
                maximumIdleSlice: UInt64 = 1_000_000, threading: Threading = .single) throws(SetupError) {
        do {
            region = try ContextRegion(count: contextCount, capacities: capacities, separateSlowPathSignal: threading == .separateSlowPath)
        } catch {
            throw .region(error)
        }
        do {
            threaded = threading == .single ? nil : try ThreadedStack(port: stack.port, configuration: stack.configuration, clock: clock,
                                                                      signals: (region.service, region.slowPathService))
        } catch {
            throw .separateSlowPath(String(describing: error))
        }
        do {
            engine = try RuntimeEngine(stack: stack, region: region, separate: threaded)
        } catch {
            throw .queues(error)
        }
        if let threaded {
            threaded.runtime = engine
            threaded.contexts = ThreadedContextService(endpoints: engine.flowEndpoints, flowCapacity: stack.configuration.flowCapacity)
        }
        self.clock = clock
        self.minimumIdleSlice = max(1, minimumIdleSlice)
        self.maximumIdleSlice = max(self.minimumIdleSlice, maximumIdleSlice)
    }

    /// What an application needs to build a context on queue set `index` (0 ..< `region.count`).
    public func attachment(for index: Int) -> ContextAttachment {
        precondition(index >= 0 && index < region.count, "no such context")
        let fastPath = threaded?.fastPath ?? engine.stack.fastPath
        return ContextAttachment(region: region, index: index, payloadRegion: fastPath.payloadRegion,
                                 payloadRegionSize: fastPath.payloadRegionSize, flowCapacity: fastPath.configuration.flowCapacity,
                                 owner: self)
    }

    /// Starts the runtime's thread (once).
    public func start() throws(SetupError) {
        guard lifecycle.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged else {
            throw .alreadyStarted
        }
        do {
            if let threaded { try threaded.start() } else { thread = try JoinableThread { [self] in run() } }
        } catch {
            lifecycle.store(0, ordering: .sequentiallyConsistent)
            throw .thread(error.code)
        }
    }

    /// Asks the thread to stop after its current round and waits until it has ended.
    public func stop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        region.service.signal()
        thread?.join()
        if let threaded {
            threaded.stop()
            lifecycle.store(2, ordering: .sequentiallyConsistent)
        }
    }

    /// True from `start()` until the thread has ended.
    public var isRunning: Bool { lifecycle.load(ordering: .sequentiallyConsistent) == 1 }

    /// Counters of the runtime; read after `stop()`.
    public var statistics: RuntimeStatistics {
        guard let threaded, let contexts = threaded.contexts else { return engine.statistics }
        var statistics = engine.statistics
        statistics.heldFlowEvents &+= contexts.heldFlowEvents
        statistics.idleWaits = threaded.fastPathIdleWaits &+ threaded.slowPathIdleWaits
        statistics.threadCPUNanoseconds = threaded.fastPathCPUNanoseconds &+ threaded.slowPathCPUNanoseconds
        return statistics
    }

    private func run() {
        let port = engine.stack.port
        var slice = minimumIdleSlice
        while !stopRequested.load(ordering: .relaxed) {
            let now = clock.now()
            if engine.step(now: now) || engine.hasQueuedWork {
                slice = minimumIdleSlice
                continue
            }
            let deadline = engine.nextDeadline
            guard deadline > now else { continue }
            if IdleSleep.sleep(ports: [port], signal: region.service, timeoutNanoseconds: deadline &- now, arm: engine.armContextQueues,
                               hasWork: { engine.hasQueuedWork || stopRequested.load(ordering: .relaxed) }) {
                engine.statistics.idleWaits &+= 1
            } else {
                engine.statistics.idleSliceWaits &+= 1
                _ = port.waitForFrames(timeoutNanoseconds: Int64(min(deadline &- now, slice)))
                slice = min(slice &* 2, maximumIdleSlice)
            }
        }
        engine.statistics.threadCPUNanoseconds = flexshim_thread_cpu_ns()
        lifecycle.store(2, ordering: .sequentiallyConsistent)
    }
}

/// Everything an application library needs to attach a context to a `StackRuntime` in the same
/// process: the context's queue set in `region`, and the payload region its rings are in.
///
/// Contract: the pointers stay valid as long as the attachment (which keeps the runtime alive).
public struct ContextAttachment: @unchecked Sendable {
    // Sendable: the payload region is shared under the ring protocol (the application reads only
    // bytes announced to it and writes only its own transmit space).
    public let region: ContextRegion
    public let index: Int
    public let payloadRegion: UnsafeMutableRawPointer
    public let payloadRegionSize: Int
    /// Flow indices are below this.
    public let flowCapacity: Int
    private let owner: AnyObject

    init(region: ContextRegion, index: Int, payloadRegion: UnsafeMutableRawPointer, payloadRegionSize: Int, flowCapacity: Int,
         owner: AnyObject) {
        self.region = region
        self.index = index
        self.payloadRegion = payloadRegion
        self.payloadRegionSize = payloadRegionSize
        self.flowCapacity = flowCapacity
        self.owner = owner
    }
}
