import FlexPort

/// The fast path's end of the rings to a slow path on another thread (`ThreadLinkRings`): it
/// applies the slow path's commands to the fast path and its context service (`FastPathControl`,
/// the same object a one-thread schedule gives the slow path), sends the slow path's frames on the
/// port, processes the frames it hands back, copies each batch's exception frames for it, and
/// sends it notices (FINs reported, confirmations) in order.
///
/// Contract: used on the fast path's thread only. `takeCommands` before the contexts' transmit
/// queues are drained and `applyCommands` after (so a command sent after a context's request is
/// applied after the transmit entries published before that request). An exception frame that
/// finds the ring full, or is longer than its slots, is dropped and counted (`exceptionDrops`); the
/// peer's retransmission brings it again. So is a frame of the slow path that finds the port full
/// (`forwardDrops`), and a frame handed back that the fast path still cannot handle
/// (`reprocessExceptions`). Notices that find the ring full wait here, in order, and are bounded
/// by construction: at most one FIN report per flow index (a second one for the same flow adds
/// nothing: the slow path reads the flow's state when it takes the report), and one confirmation
/// per command with a ticket, each of which the slow path awaits (it holds them anyway).
final class SlowPathLink: ExceptionHandling {
    let control: FastPathControl
    let port: any Port
    private let rings: ThreadLinkRings
    private let frame = FrameBatch(capacity: 1)
    private let forward = FrameBatch(capacity: 1)
    private var takenCommands = 0
    private var outbox: [FastPathNotice] = []
    /// Per flow index: a FIN report for it waits in `outbox`.
    private var finReportWaiting: [Bool]
    private(set) var exceptionDrops: UInt64 = 0
    private(set) var failedCommands: UInt64 = 0
    private(set) var forwardDrops: UInt64 = 0
    private(set) var reprocessExceptions: UInt64 = 0

    init(control: FastPathControl, port: any Port, rings: ThreadLinkRings) {
        self.control = control
        self.port = port
        self.rings = rings
        finReportWaiting = Array(repeating: false, count: control.fastPath.configuration.flowCapacity)
        control.fastPath.snapshots = rings.snapshots
    }

    /// Takes the commands the slow path has published (applied by `applyCommands`).
    func takeCommands() { takenCommands = rings.commands.take() }

    /// Applies the commands taken, in order; returns how many.
    func applyCommands(now: UInt64) -> Int {
        let count = takenCommands
        for index in 0..<count {
            switch rings.commands[index] {
            case .transmitFrames(let frames): forwardSlowPathFrames(Int(frames))
            case .reprocessFrame: reprocessHandedBackFrame(now: now)
            case let command: if !command.apply(to: control, snapshots: rings.snapshots, now: now) { failedCommands &+= 1 }
            }
        }
        rings.commands.release()
        // The slow path may wait for the room just made.
        if count > 0 { rings.commandRoom.notifyProducer() }
        takenCommands = 0
        return count
    }

    private func forwardSlowPathFrames(_ count: Int) {
        let frames = rings.slowPathFrames.consumer
        for _ in 0..<count {
            guard frames.receive(into: frame) == 1 else { return }
            let source = frame[0]
            if source.length <= port.maximumFrameLength, port.reserveTransmit(into: forward, count: 1) == 1 {
                var slot = forward[0]
                slot.bytes.copyMemory(from: source.bytes, byteCount: source.length)
                slot.length = source.length
                forward[0] = slot
                if port.commitTransmit(forward) == 0 { forwardDrops &+= 1 }
            } else {
                forwardDrops &+= 1
            }
            frames.release(frame)
        }
    }

    private func reprocessHandedBackFrame(now: UInt64) {
        let frames = rings.handedBack.consumer
        guard frames.receive(into: frame) == 1 else { return }
        if !control.reprocess(frame[0], now: now) { reprocessExceptions &+= 1 }
        frames.release(frame)
    }

    /// Copies the batch's exception frames for the slow path.
    func takeExceptions(of fastPath: FastPath, in batch: FrameBatch, now: UInt64, settle: () -> Void) {
        let exceptions = rings.exceptions.producer
        for index in fastPath.exceptionIndices where index < batch.count {
            let source = batch[index]
            guard source.length <= rings.exceptions.ring.frameCapacity, exceptions.reserve(into: frame, count: 1) == 1 else {
                exceptionDrops &+= 1
                continue
            }
            var slot = frame[0]
            slot.bytes.copyMemory(from: source.bytes, byteCount: source.length)
            slot.length = source.length
            slot.flags = source.flags
            frame[0] = slot
            if exceptions.commit(frame) == 0 { exceptionDrops &+= 1 }
        }
        settle()
    }

    /// The slow path's work between release and transmit is on its own thread.
    func advance(now: UInt64) {}

    /// Tells the slow path of every FIN the fast path's current events report.
    func noteFINs(in fastPath: FastPath) {
        for index in 0..<fastPath.eventCount where !fastPath.events[index].closeFlags.isEmpty {
            let flow = fastPath.events[index].flow
            guard Int(flow) < finReportWaiting.count, !finReportWaiting[Int(flow)] else { continue }
            finReportWaiting[Int(flow)] = true
            outbox.append(.finReported(flow))
        }
    }

    /// Sends the context service's confirmations, after the notices waiting, as room allows.
    func sendNotices(confirming contexts: FastPathContextService) {
        outbox.append(contentsOf: contexts.confirmations)
        contexts.confirmations.removeAll(keepingCapacity: true)
        var sent = 0
        while sent < outbox.count && rings.notices.send(outbox[sent]) {
            if case .finReported(let flow) = outbox[sent] { finReportWaiting[Int(flow)] = false }
            sent += 1
        }
        if sent > 0 { outbox.removeFirst(sent) }
    }

    /// Notices wait for room in the ring.
    var hasWaitingNotices: Bool { !outbox.isEmpty }

    /// Notices waiting for room in the ring now.
    var waitingNotices: Int { outbox.count }

    /// The slow path has published commands not taken yet.
    var hasQueuedCommands: Bool { rings.commands.channel.hasPending }

    /// Sets (or clears) the command ring's armed flag around an idle sleep on the fast path's signal.
    func armCommands(_ armed: Bool) { rings.commands.channel.arm(armed) }
}
