import FlexPort

/// The stages of one round of the poll sequence (`PollSequence`) for whatever serves one port's
/// frames: a fast path with its slow path (`FastPathStages`), a network host on its own, or a slow
/// path on a thread of its own (fed exception frames by its `SlowPathPort`).
///
/// Contract: `handleReceived` is called with a received batch before it goes back to the port and
/// calls `settle` after each of its inner stages; `advance` runs what is due by `now`; `transmit`
/// sends what is due and returns how many frames it sent.
protocol PollStages {
    func handleReceived(_ batch: FrameBatch, now: UInt64, settle: () -> Void)
    func advance(now: UInt64)
    func transmit(now: UInt64) -> Int
}

/// The poll sequence, written once for every schedule: receive a batch → handle it (fast path,
/// then the slow path's exceptions) → release it → timers → transmit, with the caller settling
/// events after each stage (`settle` must leave a fast path's event list empty if it has one).
enum PollSequence {
    /// One round on `port`; returns how many frames were received and sent.
    @inline(__always)
    static func poll<Stages: PollStages>(_ stages: Stages, port: any Port, batch: FrameBatch, now: UInt64,
                                         settle: () -> Void) -> (received: Int, sent: Int) {
        port.poll()
        let received = port.receive(into: batch)
        if received > 0 { stages.handleReceived(batch, now: now, settle: settle) }
        port.releaseReceived(batch)
        settle()
        stages.advance(now: now)
        settle()
        let sent = stages.transmit(now: now)
        settle()
        return (received, sent)
    }
}

/// Where a fast path's round hands what it cannot handle itself: the slow path on the same thread
/// (`SlowPath`), or the rings to the slow path's thread (`SlowPathLink`).
///
/// Contract: `takeExceptions` is called right after `fastPath.processReceived(batch)`, before the
/// batch is released (the exception frames are `fastPath.exceptionIndices` of it), and calls
/// `settle` after each stage of its own; `advance` is called between the release and transmit.
protocol ExceptionHandling {
    func takeExceptions(of fastPath: FastPath, in batch: FrameBatch, now: UInt64, settle: () -> Void)
    func advance(now: UInt64)
}

/// A fast path's poll stages: the fast path processes the batch, `slowPath` takes its exceptions
/// and runs between release and transmit, the fast path transmits.
struct FastPathStages<SlowPathSide: ExceptionHandling>: PollStages {
    let fastPath: FastPath
    let slowPath: SlowPathSide

    @inline(__always)
    func handleReceived(_ batch: FrameBatch, now: UInt64, settle: () -> Void) {
        fastPath.processReceived(batch, now: now)
        slowPath.takeExceptions(of: fastPath, in: batch, now: now, settle: settle)
    }

    @inline(__always)
    func advance(now: UInt64) { slowPath.advance(now: now) }

    @inline(__always)
    func transmit(now: UInt64) -> Int { fastPath.transmit(now: now) }
}

// The slow path on the fast path's thread (run to completion).
extension SlowPath: ExceptionHandling {
    /// Moves on the connections whose FINs the fast path reported, then handles the exception frames.
    func takeExceptions(of fastPath: FastPath, in batch: FrameBatch, now: UInt64, settle: () -> Void) {
        progressReportedFINs(in: fastPath, now: now)
        settle()
        handleExceptions(in: batch, at: fastPath.exceptionIndices, now: now)
        settle()
    }
}

// A network host without fast path: every frame is its own.
extension NetworkHost: PollStages {
    func handleReceived(_ batch: FrameBatch, now: UInt64, settle: () -> Void) {
        for index in 0..<batch.count { handleFrame(batch[index], now: now) }
    }

    func transmit(now: UInt64) -> Int {
        flushTransmits()
        return 0
    }
}
