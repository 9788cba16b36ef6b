import FlexPort

/// What one thread of a `StackRuntime` does each round and how it sleeps, for the runtime's one
/// loop (`StackRuntime.run`): one round for the one-thread schedules, one each for the fast-path
/// and the slow-path thread.
///
/// Contract: every member is used on the round's thread only (`counters` is read after the
/// thread has been joined). `step` returns true if it did anything; `hasQueuedWork` says whether
/// a producer published something since; `nextDeadline(now:)` is when the round has timer or
/// pacing work; `arm` sets (clears) the armed flags of every queue whose producer signals `signal`,
/// for an idle sleep on `ports` and `signal` (`IdleSleep`).
protocol RuntimeThreadRound: AnyObject {
    func step(now: UInt64) -> Bool
    var hasQueuedWork: Bool { get }
    func nextDeadline(now: UInt64) -> UInt64
    var ports: [any Port] { get }
    var signal: WakeupSignal { get }
    func arm(_ armed: Bool)
    var counters: RuntimeThreadCounters { get set }
}

/// Idle sleeps, quiet rounds and CPU time of one runtime thread.
struct RuntimeThreadCounters {
    var idleWaits: UInt64 = 0
    var idleSliceWaits: UInt64 = 0
    var quietRounds: UInt64 = 0
    var cpuNanoseconds: UInt64 = 0
}

/// The round of the one-thread schedules (run to completion on the runtime's thread, or driven by
/// the caller): the fast path's round with the slow path on the same thread, reached by direct
/// calls (`FastPathControl`), confirmations handed over at the end of the round.
///
/// Order per round: take the contexts' requests, apply their transmit queues (so send/free
/// entries published before a request are applied before it), apply the requests, one pass of the
/// poll sequence (flow events routed, connection events taken after each stage), settle the fast
/// path's contexts (receive queues published, releases and moves confirmed), complete what the
/// confirmations waited for, retry what waited for room, publish the event queues and then the
/// receive queues once more.
///
/// Quiet rounds: after a round that left nothing waiting (nothing to post, publish, confirm or
/// examine), each round until the next deadline only looks whether a frame, a transmit entry or
/// a request arrived — what a runtime thread would sleep on (`IdleSleep`) — polls the port and
/// ends, unless one did. Whoever changes the stack between rounds by other means (a caller-driven
/// runtime's callers, through `StackRuntime`'s parts) calls `endQuiet()` first.
final class OneThreadRound: RuntimeThreadRound {
    let fast: FastPathRound
    let slowPath: SlowPath
    let contexts: SlowPathContextService
    let ports: [any Port]
    let signal: WakeupSignal
    var counters = RuntimeThreadCounters()
    /// The last full round left nothing waiting (and nothing changed the stack since but its port
    /// and queues): rounds before `quietUntil` are quiet unless something arrives.
    private var lastRoundSettled = false
    /// `timerDeadline` after the last full round, or nil until a quiet round needed it.
    private var quietUntil: UInt64?
    // The parts of `fast` every round touches, as fields of the round itself: reached through
    // `fast`, each call retains and releases them.
    private let port: any Port
    private let fastPath: FastPath
    private let fastContexts: FastPathContextService
    /// The poll sequence's stages with and without the transmit stage (for `step(now:serving:)`).
    private let stages: FastPathStages<SlowPath>
    private let receivingStages: ReceivingStages<FastPathStages<SlowPath>>

    init(fast: FastPathRound, slowPath: SlowPath, contexts: SlowPathContextService, signal: WakeupSignal) {
        self.fast = fast
        port = fast.port
        fastPath = fast.fastPath
        fastContexts = fast.contexts
        stages = FastPathStages(fastPath: fast.fastPath, slowPath: slowPath)
        receivingStages = ReceivingStages(stages)
        self.slowPath = slowPath
        self.contexts = contexts
        ports = [fast.port]
        self.signal = signal
    }

    func step(now: UInt64) -> Bool {
        if isQuiet(now: now) { return false }
        return runRound(now: now, transmitting: true)
    }

    /// A round with `application` in it (the caller's thread's contexts' `poll`, the answers it
    /// writes, their `flush`) between the timers and the transmit stage: the transmit entries it
    /// published are applied and sent in the same round, so an answer leaves in the round that
    /// received its question, with the ACK riding on it. Its requests are taken at the next round
    /// (before that round's transmit entries, as always). A quiet round runs `application` only,
    /// unless it published transmit entries.
    @inline(__always)
    func step(now: UInt64, serving application: () -> Void) -> Bool {
        let quiet = isQuiet(now: now)
        var busy = quiet ? false : runRound(now: now, transmitting: false)
        application()
        let drained = fastContexts.hasQueuedTransmits && fast.drainTransmitQueues(now: now)
        guard !quiet || drained else { return busy }
        if fast.transmit(now: now) || drained {
            busy = true
            settle()
        }
        return busy
    }

    /// True when the last full round left nothing waiting, nothing arrived since (no frame,
    /// transmit entry or request) and no deadline has come: the round only polls the port.
    @inline(__always)
    private func isQuiet(now: UInt64) -> Bool {
        guard lastRoundSettled && !port.mayHaveFramesToReceive && !fastContexts.hasQueuedTransmits && !contexts.hasQueuedRequests else {
            return false
        }
        let deadline = quietUntil ?? timerDeadline
        quietUntil = deadline
        guard now < deadline else { return false }
        port.poll()
        counters.quietRounds &+= 1
        return true
    }

    /// A full round: requests, transmit entries, the poll sequence (without its transmit stage
    /// unless `transmitting`), then `settle`. True if anything was taken, received or sent.
    @inline(__always)
    private func runRound(now: UInt64, transmitting: Bool) -> Bool {
        lastRoundSettled = false
        let requestsTaken = contexts.takeRequests()
        var busy = fast.drainTransmitQueues(now: now) || requestsTaken
        if requestsTaken { contexts.applyRequests(now: now) }
        let contexts = contexts
        let polled = transmitting
            ? fast.poll(stages, now: now) { contexts.takeConnectionEvents() }
            : fast.poll(receivingStages, now: now) { contexts.takeConnectionEvents() }
        busy = polled || busy
        settle()
        return busy
    }

    /// The end of every full round: post and publish what the round produced, hand confirmations
    /// to the slow path, complete what they waited for, retry what waited for room, and note
    /// whether the round left anything waiting (`lastRoundSettled`).
    @inline(__always)
    private func settle() {
        quietUntil = nil
        fast.settleContexts()
        if !fastContexts.confirmations.isEmpty { handOverConfirmations() }
        contexts.retryPending()
        contexts.flush()
        fastContexts.flushReceiveQueues()
        lastRoundSettled = fastContexts.isSettled && contexts.isSettled && slowPath.events.isEmpty
            && (fastPath.changes.isEmpty || slowPath.examinesChangesOnTimer)
    }

    private func handOverConfirmations() {
        for case .confirmed(let ticket, let succeeded) in fastContexts.confirmations {
            contexts.fastPathConfirmed(ticket: ticket, succeeded: succeeded)
        }
        fastContexts.confirmations.removeAll(keepingCapacity: true)
    }

    /// The next round runs in full (the stack was changed from outside the round).
    func endQuiet() { lastRoundSettled = false }

    /// The earliest time the stack has timer or pacing work; 0 (now) when entries or completions
    /// wait for queue room that is there.
    var nextDeadline: UInt64 { canPostWaiting ? 0 : timerDeadline }

    /// The earliest time the slow path's timers or the fast path's transmit queue have work.
    private var timerDeadline: UInt64 { min(slowPath.nextDeadline, fastPath.nextTransmitTime ?? .max) }

    func nextDeadline(now: UInt64) -> UInt64 { nextDeadline }

    var hasQueuedWork: Bool { fastContexts.hasQueuedTransmits || contexts.hasQueuedRequests || canPostWaiting }

    /// True when something waits for queue room that is there now; where it is not, the
    /// application is asked to signal this thread when it makes room (no lost wake-up).
    private var canPostWaiting: Bool {
        let receiveRoom = fastContexts.requestRoomForWaitingEntries()
        return contexts.requestRoomForWaitingCompletions() || receiveRoom
    }

    func arm(_ armed: Bool) {
        fastContexts.armTransmitQueues(armed)
        contexts.armRequestQueues(armed)
    }
}

/// The fast-path thread's round when the slow path runs on a thread of its own: the fast path's
/// round with the slow path behind rings (`SlowPathLink`). Order per round: take the slow path's
/// commands, apply the contexts' transmit queues, apply the commands (its frames included), one
/// pass of the poll sequence (FINs noted for the slow path after each stage), settle the contexts,
/// send the notices.
///
/// Idle: until the next transmit time, but at most 1 ms while context commands or notices wait
/// (for receive-queue or ring room).
final class FastPathThreadRound: RuntimeThreadRound {
    let fast: FastPathRound
    let link: SlowPathLink
    let ports: [any Port]
    let signal: WakeupSignal
    var counters = RuntimeThreadCounters()

    init(fast: FastPathRound, link: SlowPathLink, signal: WakeupSignal) {
        self.fast = fast
        self.link = link
        ports = [fast.port]
        self.signal = signal
    }

    func step(now: UInt64) -> Bool {
        link.takeCommands()
        var busy = fast.drainTransmitQueues(now: now)
        busy = link.applyCommands(now: now) > 0 || busy
        busy = fast.poll(now: now, slowPath: link) { link.noteFINs(in: fast.fastPath) } || busy
        fast.settleContexts()
        link.sendNotices(confirming: fast.contexts)
        return busy
    }

    func nextDeadline(now: UInt64) -> UInt64 {
        let waiting = fast.contexts.hasPending || link.hasWaitingNotices
        return min(fast.fastPath.nextTransmitTime ?? .max, waiting ? now &+ 1_000_000 : .max)
    }

    var hasQueuedWork: Bool { fast.contexts.hasQueuedTransmits || link.hasQueuedCommands || fast.contexts.requestRoomForWaitingEntries() }

    func arm(_ armed: Bool) {
        fast.contexts.armTransmitQueues(armed)
        link.armCommands(armed)
    }
}

/// The slow-path thread's round: the contexts' requests, then the poll sequence on the slow path's
/// own port (`SlowPathPort`: the exception frames the fast path copied; the stages handle them,
/// take the fast path's notices and run the timers, and flush the frames sent), then what waited
/// for room, the event queues, and the commands that waited for ring room.
///
/// Back-pressure: while commands still wait for room in the command ring the round takes nothing
/// new (no requests, frames, notices or timers), so `FastPathLink` holds at most the commands of
/// one round; the thread sleeps until the fast path signals that it took commands.
///
/// Idle: until the next timer, but at most `tick` ns, since retransmission timers are armed from
/// snapshots and the slow path is not told when a flow starts sending.
final class SlowPathThreadRound: RuntimeThreadRound {
    let stages: SlowPathThreadStages
    let port: SlowPathPort
    let rings: ThreadLinkRings
    let ports: [any Port] = []
    let signal: WakeupSignal
    let tick: UInt64
    var counters = RuntimeThreadCounters()
    private let batch: FrameBatch

    init(stages: SlowPathThreadStages, port: SlowPathPort, rings: ThreadLinkRings, signal: WakeupSignal, batchSize: Int,
         tick: UInt64 = 10_000_000) {
        self.stages = stages
        self.port = port
        self.rings = rings
        self.signal = signal
        self.tick = tick
        batch = FrameBatch(capacity: batchSize)
    }

    func step(now: UInt64) -> Bool {
        let contexts = stages.contexts
        stages.link.flush()
        guard stages.link.waitingCommands == 0 else { return false }
        let taken = contexts.takeRequests()
        contexts.applyRequests(now: now)
        let (received, _) = PollSequence.poll(stages, port: port, batch: batch, now: now, settle: contexts.takeConnectionEvents)
        contexts.retryPending()
        contexts.flush()
        stages.link.flush()
        return taken || received > 0
    }

    func nextDeadline(now: UInt64) -> UInt64 { min(stages.slowPath.nextDeadline, now &+ tick) }

    var hasQueuedWork: Bool {
        // While commands wait, only ring room lets the round go on (see "Back-pressure").
        guard stages.link.waitingCommands == 0 else { return stages.link.requestRoomForWaitingCommands() }
        return stages.contexts.hasQueuedRequests || rings.exceptions.hasPending || rings.notices.channel.hasPending
            || stages.contexts.requestRoomForWaitingCompletions()
    }

    func arm(_ armed: Bool) {
        stages.contexts.armRequestQueues(armed)
        rings.exceptions.arm(armed)
        rings.notices.channel.arm(armed)
    }
}

/// The poll stages of a slow path on its own thread: the exception frames it receives are handled
/// as the same-thread slow path handles them; between release and transmit it takes the fast
/// path's notices (a reported FIN moves the connection on, a confirmation completes what waited)
/// and runs its timers; transmit flushes the network host's frames onto the slow path's port.
struct SlowPathThreadStages: PollStages {
    let slowPath: SlowPath
    let link: FastPathLink
    let contexts: SlowPathContextService

    func handleReceived(_ batch: FrameBatch, now: UInt64, settle: () -> Void) {
        for index in 0..<batch.count { slowPath.handleFrame(batch[index], now: now) }
    }

    func advance(now: UInt64) {
        _ = link.takeNotices { notice in
            switch notice {
            case .finReported(let flow): slowPath.progress(flow, now: now)
            case .confirmed(let ticket, let succeeded): contexts.fastPathConfirmed(ticket: ticket, succeeded: succeeded)
            }
        }
        slowPath.advance(now: now)
    }

    func transmit(now: UInt64) -> Int {
        slowPath.network.flushTransmits()
        return 0
    }
}
