import FlexPort

/// The fast path's share of a runtime, one object per fast-path thread: it owns the port (its
/// receive queue), the fast path, the receive batch and the fast-path ends of the contexts' queues
/// (`FastPathContextService`), and runs the fast path's part of a round — drain the transmit
/// queues, the poll sequence with whichever slow path side the schedule gives it, settle the
/// contexts. The one-thread schedules compose it with the slow path on the same thread
/// (`OneThreadRound`); the two-thread schedule runs it on its own thread with the slow path
/// behind rings (`FastPathThreadRound`).
///
/// Several fast-path threads (not used today) would each own one round: a receive queue of a
/// multi-queue port (flows steered to it by their hash), the contexts it serves (their transmit
/// and receive queues) and rings of its own to the slow path; the slow path's link would send each
/// flow's commands to the round that owns the flow and read that round's snapshots.
///
/// Contract: used on one thread only. `control` is how that thread's slow path (or the commands
/// of a slow path on another thread) reaches this fast path and its context service.
final class FastPathRound {
    let port: any Port
    let fastPath: FastPath
    let contexts: FastPathContextService
    let control: FastPathControl
    private let batch: FrameBatch

    init(port: any Port, configuration: StackConfiguration, payloadRegion: PayloadRegion, region: ContextRegion,
         served: ServedContexts) throws(ContextQueueError) {
        self.port = port
        fastPath = FastPath(stack: configuration, port: port, payloadRegion: payloadRegion)
        contexts = try FastPathContextService(region: region, flowCapacity: configuration.flowCapacity, served: served)
        control = FastPathControl(fastPath: fastPath, contexts: contexts)
        batch = FrameBatch(capacity: min(configuration.receiveBatchSize, FastPath.maximumReceiveBatch))
    }

    /// Applies the contexts' transmit entries and routes the events they caused; true if any were taken.
    func drainTransmitQueues(now: UInt64) -> Bool {
        let taken = contexts.drainTransmitQueues(into: fastPath, now: now)
        settleEvents {}
        return taken
    }

    /// The transmit stage on its own (for a round that ran its poll sequence without it): sends
    /// what is due and routes the events; true if any frame was sent.
    func transmit(now: UInt64) -> Bool {
        let sent = fastPath.transmit(now: now)
        settleEvents {}
        return sent > 0
    }

    /// One pass of the poll sequence with `slowPath` taking the exceptions; after
    /// each stage the flow events are routed to the contexts, `settle` runs, and the events are
    /// cleared. Returns true if any frame was received or sent. Inlined, so that `settle` is too
    /// (a closure specialization would take what it captures with a retain each round).
    @inline(__always)
    func poll<SlowPathSide: ExceptionHandling>(now: UInt64, slowPath: SlowPathSide, settle: () -> Void) -> Bool {
        poll(FastPathStages(fastPath: fastPath, slowPath: slowPath), now: now, settle: settle)
    }

    /// One pass of the poll sequence through `stages` (this fast path's stages with a slow path
    /// side, kept by a round that runs them every round: building them per round retains their
    /// parts), settled as `poll(now:slowPath:settle:)` settles. True if any frame was received or sent.
    @inline(__always)
    func poll<Stages: PollStages>(_ stages: Stages, now: UInt64, settle: () -> Void) -> Bool {
        let (received, sent) = PollSequence.poll(stages, port: port, batch: batch, now: now) { settleEvents(settle) }
        return received > 0 || sent > 0
    }

    private func settleEvents(_ settle: () -> Void) {
        if fastPath.eventCount > 0 { contexts.routeFlowEvents(of: fastPath) }
        settle()
        fastPath.clearEvents()
    }

    /// Posts the stream ends that waited, publishes the receive queues, and queues the
    /// confirmations of the releases and moves that are due (`contexts.confirmations`).
    func settleContexts() { contexts.settle(fastPath: fastPath) }
}

/// A poll sequence's stages without the transmit stage, for a round that transmits later
/// (after its application, `OneThreadRound.step(now:serving:)`).
struct ReceivingStages<Stages: PollStages>: PollStages {
    let stages: Stages

    init(_ stages: Stages) { self.stages = stages }

    @inline(__always)
    func handleReceived(_ batch: FrameBatch, now: UInt64, settle: () -> Void) { stages.handleReceived(batch, now: now, settle: settle) }

    @inline(__always)
    func advance(now: UInt64) { stages.advance(now: now) }

    @inline(__always)
    func transmit(now: UInt64) -> Int { 0 }
}
