import Atomics
import CFlexShim
import FlexPort

/// Embedded mode: one TCP stack — fast path, slow path, network host and payload region, built
/// from `port` and `configuration` — serving `contextCount` application contexts through their
/// context queues (`ContextQueueLayout`) in one `ContextRegion`, on the threads its `schedule` says.
/// Service mode (flextcpd): the same, with the contexts and the payload region in the
/// applications' memory (`ServiceMemory`), caller-driven, applications reset and their contexts
/// restarted between steps, and only the contexts of applications there are served
/// (`StackRuntime+Applications`).
///
/// One runtime in every schedule: the fast path's share of serving contexts (transmit queues, flow
/// events, announcements, stream ends, releases and moves: `FastPathContextService`) and the slow
/// path's share (requests, completions, listeners, accepts: `SlowPathContextService`) each exist
/// once, the slow path reaches the fast path only through the `ContextFlowControl` seam, and the
/// poll sequence (receive → fast path → slow path → timers → transmit) is `PollSequence`:
/// - `.runToCompletion`: one runtime thread runs the fast path's round with the slow path on the
///   same thread (`OneThreadRound`); the seam is direct calls (`FastPathControl`).
/// - `.separateSlowPath`: the fast path (`FastPathThreadRound`) and the slow path
///   (`SlowPathThreadRound`) run on a thread each; the seam is a typed command ring one way and a
///   notice ring the other, with frame rings for exception frames, the slow path's own frames and
///   frames handed back (`ThreadLinkRings`), and flow snapshots for the slow path's reads.
/// - `.callerDriven`: no thread; the caller's thread calls `step(now:)` (the one-thread round) and
///   may sleep until `nextDeadline` — for an application running runtime and context on one
///   thread (stepping at `now` and idling in `sleepUntilWork`), and for deterministic tests on a
///   virtual clock.
///
/// What the application hears, per flow: the completion that opens it (`accepted`/`connected`) is
/// published before any receive-queue entry of the flow, and bytes that arrived before it are
/// announced in one `received` entry right after. The receive queue's `closed` entry marks the end
/// of the byte stream (`peerFinished`, or `reset`/`timedOut`); entries that only acknowledge sent
/// bytes may still follow a `peerFinished` one (the peer finished, we may still send). The event
/// queue's `closed` completion says the runtime is done with the flow, after every receive entry
/// of it; the application may forget the flow once it has seen both. Any context may accept on
/// any listener of the runtime (they belong to one application in embedded mode); the accepted
/// flow belongs to the accepting context.
///
/// Idle: each runtime thread sleeps until a frame arrives, an application (or the other runtime
/// thread) publishes an entry or frees room the thread waits for, or its next timer is due — in
/// one poll(2) on the port's readiness descriptor and the thread's signal (`ContextRegion.service`
/// for the fast path, `slowPathService` for a slow path of its own), after arming the port and
/// every queue whose producer signals it and looking at all of them once more, so no wake-up is
/// lost (`IdleSleep`). A port without a readiness descriptor (virtual-time middleware) is slept
/// on in slices instead, of at most `maximumIdleSlice` ns (doubling from `minimumIdleSlice` while
/// idle), with the queues looked at between slices.
///
/// Contract: after `init` the runtime owns the port; nothing else may touch it. Applications
/// attach with `attachment(for:)` at any time; their requests are served once `start()` has been
/// called (or, caller-driven, by `step`). `stop()` ends the threads and joins them; it must be
/// called before the runtime is dropped (the threads keep the runtime alive). In the caller-driven
/// schedule `start()` and `stop()` do nothing. `statistics` is for after `stop()`.
package final class StackRuntime: @unchecked Sendable {
    // Sendable: each round is touched by its thread only while it runs, and by callers only before
    // `start` or after `stop` has joined the threads (caller-driven: by the one calling thread);
    // the rest is immutable or atomic.
    package let region: ContextRegion
    package let schedule: Schedule
    /// What the stack was built with.
    package let configuration: StackConfiguration
    package let minimumIdleSlice: UInt64
    package let maximumIdleSlice: UInt64
    private let payloadRegion: PayloadRegion
    /// The contexts the rounds look at: all in embedded mode, the attached applications' in service
    /// mode (`serve(contexts:)`).
    let served: ServedContexts
    let fast: FastPathRound
    let slowPathContexts: SlowPathContextService
    /// One round per runtime thread; for the caller-driven schedule the round `step` runs.
    private let rounds: [any RuntimeThreadRound]
    /// The one-thread schedules' round, kept alive by `rounds`: unmanaged, so `step` costs no retain.
    let oneThread: Unmanaged<OneThreadRound>?
    /// The two ends of the rings between the threads (separate slow path only).
    private let links: (fast: SlowPathLink, slow: FastPathLink)?
    private let clock: any TimeSource
    private let stopRequested = ManagedAtomic(false)
    private let lifecycle = ManagedAtomic(0)
    private var threads: [JoinableThread] = []

    /// Which threads run the stack.
    package enum Schedule: Sendable, Hashable {
        /// One runtime thread for fast path and slow path.
        case runToCompletion
        /// The fast path and the slow path on a runtime thread each.
        case separateSlowPath
        /// No runtime thread: the caller's thread calls `step(now:)`.
        case callerDriven

        /// The schedules with runtime threads (`start()`/`stop()`).
        package static let threaded: [Schedule] = [.runToCompletion, .separateSlowPath]
    }

    /// Why a runtime could not be built or started.
    package enum SetupError: Error, Equatable {
        case region(ContextRegion.SetupError)
        case queues(ContextQueueError)
        case network(NetworkConfigurationError)
        /// The rings between the fast path's and the slow path's thread could not be set up.
        case rings(FrameRingError)
        case thread(Int32)
        case alreadyStarted
    }

    package init(port: any Port, configuration: StackConfiguration, contextCount: Int,
                capacities: ContextQueueCapacities = ContextQueueCapacities(), clock: any TimeSource = MonotonicTimeSource(),
                minimumIdleSlice: UInt64 = 20_000, maximumIdleSlice: UInt64 = 1_000_000,
                schedule: Schedule = .runToCompletion, memory: ServiceMemory? = nil) throws(SetupError) {
        if let memory {
            // Service mode: the contexts and payload rings lie in the applications' memory.
            precondition(memory.contexts.count == contextCount && memory.contexts.capacities == capacities, "the service's region is the contexts'")
            region = memory.contexts
            payloadRegion = PayloadRegion(borrowing: memory.payloadBase, size: memory.payloadSize)
        } else {
            do {
                region = try ContextRegion(count: contextCount, capacities: capacities, separateSlowPathSignal: schedule == .separateSlowPath)
            } catch {
                throw .region(error)
            }
            payloadRegion = PayloadRegion(size: configuration.payloadRegionSize)
        }
        served = ServedContexts(total: contextCount, servingAll: memory == nil)
        do {
            fast = try FastPathRound(port: port, configuration: configuration, payloadRegion: payloadRegion, region: region, served: served)
        } catch {
            throw .queues(error)
        }
        let slowPath: SlowPath
        let control: any ContextFlowControl
        var link: (fast: SlowPathLink, slow: FastPathLink, rings: ThreadLinkRings, port: SlowPathPort)?
        if schedule == .separateSlowPath {
            let rings: ThreadLinkRings
            do {
                rings = try ThreadLinkRings(slots: 1024, maximumFrameLength: port.maximumFrameLength, flowCapacity: configuration.flowCapacity,
                                            fastPathSignal: region.service, slowPathSignal: region.slowPathService)
            } catch {
                throw .rings(error)
            }
            let slowEnd = FastPathLink(fastPath: fast.fastPath, rings: rings)
            let slowPathPort = SlowPathPort(macAddress: port.macAddress, maximumFrameLength: port.maximumFrameLength, rings: rings, link: slowEnd)
            slowPath = SlowPath(flows: slowEnd, network: try Self.network(on: slowPathPort, configuration), configuration: configuration.slowPath)
            control = slowEnd
            link = (SlowPathLink(control: fast.control, port: port, rings: rings), slowEnd, rings, slowPathPort)
        } else {
            slowPath = SlowPath(flows: fast.control, network: try Self.network(on: port, configuration), configuration: configuration.slowPath)
            control = fast.control
        }
        do {
            slowPathContexts = try SlowPathContextService(slowPath: slowPath, control: control, region: region, served: served)
        } catch {
            throw .queues(error)
        }
        if let link {
            let stages = SlowPathThreadStages(slowPath: slowPath, link: link.slow, contexts: slowPathContexts)
            rounds = [FastPathThreadRound(fast: fast, link: link.fast, signal: region.service),
                      SlowPathThreadRound(stages: stages, port: link.port, rings: link.rings, signal: region.slowPathService,
                                          batchSize: min(configuration.receiveBatchSize, FastPath.maximumReceiveBatch))]
            oneThread = nil
            links = (link.fast, link.slow)
        } else {
            let round = OneThreadRound(fast: fast, slowPath: slowPath, contexts: slowPathContexts, signal: region.service)
            rounds = [round]
            oneThread = Unmanaged.passUnretained(round)
            links = nil
        }
        self.schedule = schedule
        self.configuration = configuration
        self.clock = clock
        self.minimumIdleSlice = max(1, minimumIdleSlice)
        self.maximumIdleSlice = max(self.minimumIdleSlice, maximumIdleSlice)
    }

    private static func network(on port: any Port, _ configuration: StackConfiguration) throws(SetupError) -> NetworkHost {
        do {
            return try NetworkHost(port: port, configuration: configuration.network)
        } catch {
            throw .network(error)
        }
    }

    /// What an application needs to build a context on queue set `index` (0 ..< `region.count`).
    package func attachment(for index: Int) -> ContextAttachment {
        precondition(index >= 0 && index < region.count, "no such context")
        return ContextAttachment(region: region, index: index, payloadRegion: payloadRegion.base, payloadRegionSize: payloadRegion.size,
                                 flowCapacity: fast.fastPath.configuration.flowCapacity, owner: self)
    }

    /// Starts the runtime's threads (once); does nothing in the caller-driven schedule. If a thread
    /// cannot start, those started are stopped and joined before the error is thrown.
    package func start() throws(SetupError) {
        guard schedule != .callerDriven else { return }
        guard lifecycle.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged else {
            throw .alreadyStarted
        }
        do {
            for index in rounds.indices { threads.append(try JoinableThread { [self] in run(rounds[index]) }) }
        } catch {
            stop()
            stopRequested.store(false, ordering: .sequentiallyConsistent)
            lifecycle.store(0, ordering: .sequentiallyConsistent)
            throw .thread(error.code)
        }
    }

    /// Asks the threads to stop after their current round and waits until they have ended.
    package func stop() {
        guard schedule != .callerDriven else { return }
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        region.service.signal()
        region.slowPathService.signal()
        for thread in threads { thread.join() }
        threads.removeAll()
        lifecycle.store(2, ordering: .sequentiallyConsistent)
    }

    /// True from `start()` until the threads have ended.
    package var isRunning: Bool { lifecycle.load(ordering: .sequentiallyConsistent) == 1 }

    /// Caller-driven schedule only: one round on the caller's thread at time `now` (nanoseconds,
    /// never decreasing) — the contexts' requests and transmit queues, one receive batch through
    /// fast and slow path, due timers, transmit, and the contexts' receive and event queues
    /// published. Returns true if anything was taken, received or sent; when false, the caller may
    /// sleep until `nextDeadline` (or until a frame or an application's entry arrives).
    package func step(now: UInt64) -> Bool {
        guard let oneThread, schedule == .callerDriven else { preconditionFailure("step(now:) is for the caller-driven schedule") }
        return oneThread._withUnsafeGuaranteedRef { $0.step(now: now) }
    }

    /// Caller-driven schedule only: a round as `step(now:)` runs it, with `application` on the
    /// caller's thread (its contexts' `poll`, the answers it writes, their `flush`) between the
    /// timers and the transmit stage: the transmit entries it published are applied and sent in
    /// the same round, so an answer leaves in the round that received its question (an echo
    /// exchange between two such runtimes takes one round instead of three). Its requests are
    /// taken at the next round. Returns true if anything was taken, received or sent.
    package func step(now: UInt64, serving application: () -> Void) -> Bool {
        guard let oneThread, schedule == .callerDriven else { preconditionFailure("step(now:serving:) is for the caller-driven schedule") }
        return oneThread._withUnsafeGuaranteedRef { $0.step(now: now, serving: application) }
    }

    /// Separate slow path, never started: one round of each runtime thread on the caller's thread
    /// at `now`, the fast path's and then the slow path's — for deterministic tests of that schedule
    /// in virtual time. Returns true if either round did anything.
    package func stepThreadRounds(now: UInt64) -> Bool {
        precondition(schedule == .separateSlowPath && !isRunning, "stepThreadRounds(now:) is for a separate slow path that was not started")
        var busy = false
        for round in rounds { busy = round.step(now: now) || busy }
        return busy
    }

    /// Caller-driven schedule: the earliest time `step` has timer or pacing work (`.max`: none until
    /// a frame arrives or an application acts). Other schedules: `.max`.
    package var nextDeadline: UInt64 { schedule == .callerDriven ? oneThread?.takeUnretainedValue().nextDeadline ?? .max : .max }

    /// Counters of the runtime; read after `stop()`.
    package var statistics: RuntimeStatistics {
        var statistics = RuntimeStatistics()
        statistics.heldFlowEvents = fast.contexts.heldFlowEvents
        statistics.deferredCompletions = slowPathContexts.deferredCompletions
        statistics.largestOutbox = slowPathContexts.largestOutbox
        for round in rounds {
            statistics.idleWaits &+= round.counters.idleWaits
            statistics.idleSliceWaits &+= round.counters.idleSliceWaits
            statistics.quietRounds &+= round.counters.quietRounds
            statistics.threadCPUNanoseconds &+= round.counters.cpuNanoseconds
        }
        if let links {
            statistics.failedCommands = links.fast.failedCommands
            statistics.waitingCommands = UInt64(links.slow.waitingCommands)
            statistics.waitingNotices = UInt64(links.fast.waitingNotices)
            statistics.exceptionDrops = links.fast.exceptionDrops
            statistics.forwardDrops = links.fast.forwardDrops
            statistics.reprocessDrops = links.slow.reprocessDrops
            statistics.reprocessExceptions = links.fast.reprocessExceptions
        }
        return statistics
    }

    /// The slow path's counters (handshakes, resets, drops by reason); read after `stop()`.
    package var slowPathCounters: SlowPathCounters { slowPathContexts.slowPath.counters }

    /// The stack's parts, for the thread that steps a caller-driven runtime (between `step`s) or
    /// for anyone after `stop()`: counters, flow states, the network host's announcements. Never
    /// touched while a runtime thread runs. Handing one out ends the one-thread round's quiet
    /// rounds (what the caller does with it may give the next round work).
    package var port: any Port { handOut(fast.port) }
    package var fastPath: FastPath { handOut(fast.fastPath) }
    package var slowPath: SlowPath { handOut(slowPathContexts.slowPath) }
    package var network: NetworkHost { handOut(slowPathContexts.slowPath.network) }

    private func handOut<Part>(_ part: Part) -> Part {
        endQuietRounds()
        return part
    }

    /// The one-thread round's next round runs in full (see `OneThreadRound`'s quiet rounds): for
    /// whatever changes the stack between rounds other than through a port or a context's queues.
    func endQuietRounds() { oneThread?._withUnsafeGuaranteedRef { $0.endQuiet() } }

    /// The one loop of every runtime thread: rounds while there is work, then an idle sleep.
    private func run(_ round: any RuntimeThreadRound) {
        var slice = minimumIdleSlice
        while !stopRequested.load(ordering: .relaxed) {
            let now = clock.now()
            if round.step(now: now) || round.hasQueuedWork {
                slice = minimumIdleSlice
                continue
            }
            let deadline = round.nextDeadline(now: now)
            guard deadline > now else { continue }
            idle(round, now: now, until: deadline, slice: &slice, alsoWakingOn: []) { stopRequested.load(ordering: .relaxed) }
        }
        round.counters.cpuNanoseconds = flexshim_thread_cpu_ns()
    }

    /// One idle sleep of `round` from `now` until `deadline` at the latest (`IdleSleep`), also
    /// ended by `signals` or when `isStopping` says so; on a port without a readiness descriptor,
    /// one slice of at most `slice` ns on the port instead (the slice doubles, up to `maximumIdleSlice`).
    private func idle(_ round: any RuntimeThreadRound, now: UInt64, until deadline: UInt64, slice: inout UInt64,
                      alsoWakingOn signals: [WakeupSignal], isStopping: () -> Bool) {
        if IdleSleep.sleep(ports: round.ports, signals: [round.signal] + signals, timeoutNanoseconds: deadline &- now, arm: round.arm,
                           hasWork: { round.hasQueuedWork || isStopping() }) {
            round.counters.idleWaits &+= 1
        } else {
            round.counters.idleSliceWaits &+= 1
            _ = round.ports.first?.waitForFrames(timeoutNanoseconds: Int64(min(deadline &- now, slice)))
            slice = min(slice &* 2, maximumIdleSlice)
        }
    }

    /// Caller-driven schedule, for a runtime stepped on the runtime's own clock (an application
    /// driving it on its thread): the clock's time now, for `step(now:)`.
    package var now: UInt64 { clock.now() }

    /// Caller-driven schedule: sleeps on the calling (stepping) thread until a frame arrives, a
    /// context publishes a request or a transmit entry or makes room the runtime waits for,
    /// `region.service` (e.g. by a service's control thread) or one of `signals` is signalled,
    /// `nextDeadline` passes or `timeoutNanoseconds` have passed — as
    /// a runtime thread's idle sleep does, with no wake-up lost. Returns at once when the runtime
    /// has work already. The caller steps the runtime (and polls its contexts) afterwards.
    package func sleepUntilWork(timeoutNanoseconds: UInt64, alsoWakingOn signals: [WakeupSignal] = []) {
        guard let oneThread, schedule == .callerDriven else { preconditionFailure("sleepUntilWork is for the caller-driven schedule") }
        let round = oneThread.takeUnretainedValue()
        let now = clock.now()
        let deadline = min(round.nextDeadline, now &+ min(timeoutNanoseconds, UInt64(Int64.max)))
        guard deadline > now, !round.hasQueuedWork else { return }
        var slice = maximumIdleSlice
        idle(round, now: now, until: deadline, slice: &slice, alsoWakingOn: signals) { false }
    }
}

/// Service mode's memory for a `StackRuntime`: the contexts' queue sets (`contexts`, grouped per
/// application) and the payload region the fast path addresses as `payloadBase + offset`, both in
/// the applications' mapped memory, which must outlive the runtime. The configuration's
/// `slowPath.ringPartition` says which part of the payload region each application's rings take.
package struct ServiceMemory {
    package let contexts: ContextRegion
    package let payloadBase: UnsafeMutableRawPointer
    package let payloadSize: Int

    package init(contexts: ContextRegion, payloadBase: UnsafeMutableRawPointer, payloadSize: Int) {
        self.contexts = contexts
        self.payloadBase = payloadBase
        self.payloadSize = payloadSize
    }
}

/// Everything an application library needs to attach a context to a `StackRuntime` in the same
/// process (or, in service mode, to a flextcpd through its mapped memory): the context's queue
/// set in `region`, and the payload region its rings are in. Ring offsets the runtime announces
/// lie in `payloadWindow` (the whole region in embedded mode; the application's own part in
/// service mode, where `payloadRegion` is the address offset 0 would have, outside the mapping).
///
/// Contract: the pointers stay valid as long as the attachment (which keeps its owner — the
/// runtime, or the service session holding the mapping — alive).
package struct ContextAttachment: @unchecked Sendable {
    // Sendable: the payload region is shared under the ring protocol (the application reads only
    // bytes announced to it and writes only its own transmit space).
    package let region: ContextRegion
    package let index: Int
    /// The runtime's number of this context (what a move request names): `index` in embedded
    /// mode; in service mode the application's first context number plus `index`.
    package let runtimeContext: UInt16
    package let payloadRegion: UnsafeMutableRawPointer
    package let payloadRegionSize: Int
    /// The ring offsets this context may be given (the application's part of the payload region).
    package let payloadWindow: Range<UInt64>
    /// Flow indices are below this.
    package let flowCapacity: Int
    private let owner: AnyObject

    package init(region: ContextRegion, index: Int, runtimeContext: UInt16? = nil, payloadRegion: UnsafeMutableRawPointer,
                 payloadRegionSize: Int, payloadWindow: Range<UInt64>? = nil, flowCapacity: Int, owner: AnyObject) {
        self.region = region
        self.index = index
        self.runtimeContext = runtimeContext ?? UInt16(truncatingIfNeeded: index)
        self.payloadRegion = payloadRegion
        self.payloadRegionSize = payloadRegionSize
        self.payloadWindow = payloadWindow ?? 0..<UInt64(payloadRegionSize)
        self.flowCapacity = flowCapacity
        self.owner = owner
    }
}
