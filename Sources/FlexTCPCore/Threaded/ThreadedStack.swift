import Atomics
import CFlexShim
import FlexPort
import FlexWire

/// Embedded mode with the fast path and the slow path on threads of their own (dissertation §4.3:
/// the NIC and the kernel run apart and talk through queues).
///
/// The fast-path thread alone touches the port: it receives, runs `FastPath.processReceived`,
/// transmits what the queue manager allows, applies the slow path's `FlowCommand`s, forwards the
/// frames the slow path sends (SYN-ACK, RST, ARP, ICMP) to the port, and copies exception frames
/// for the slow path. The slow-path thread runs `SlowPath` (and its `NetworkHost`) on the other
/// ends of those queues, timers included, reading flow state from `FlowSnapshots`.
///
/// Queues, all single-producer/single-consumer frame rings with armed-flag wake-ups (reused from
/// `MemoryWire`, whose two endpoints carry our port's MAC so the slow path's frames are ready to
/// send): `frames` — a: the slow path's port (receives exception frames, sends its own frames),
/// b: the fast path's end (a frame addressed to our MAC coming back on it is an exception frame
/// returned for reprocessing); `commands` — slow → fast `FlowCommand`s, and fast → slow
/// `FastPathNotice`s (a FIN arrived or was acknowledged: the slow path then reads the snapshot; a
/// context command was carried out). An
/// exception frame that finds the ring full, or exceeds the port's frame length, is dropped and
/// counted (`exceptionDrops`); the peer's retransmission brings it again. So is a frame of the slow
/// path that finds the port full (`forwardDrops`), and a frame handed back that the fast path
/// still cannot handle (`reprocessExceptions`).
///
/// Idle: each thread sleeps in one poll(2) on the readiness descriptors of what it receives from
/// (`IdleSleep`), the fast path until its next transmit time, the slow path until its next timer —
/// but at most `slowPathTick` ns, since it arms retransmission timers from snapshots and is not
/// told when a flow starts sending. A port without readiness descriptor is slept on in slices of
/// at most 1 ms.
///
/// Application contexts (`StackRuntime.Threading.separateSlowPath`): with `runtime` and `contexts`
/// set before `start()`, the fast-path thread drains the contexts' transmit queues and posts flow
/// events and the slow path's context commands (`ThreadedContextService`), arming the transmit
/// queues when it sleeps on `signals.fastPath`; the slow-path thread serves their requests
/// (`RuntimeEngine.serveSlowPath`) and takes the fast path's confirmations, arming the request
/// queues when it sleeps on `signals.slowPath`.
///
/// Contract: after `init` the stack owns the port; `start()` starts both threads, `stop()` ends
/// and joins them and must be called before the stack is dropped. The application hooks run on
/// the named thread each round (tests use them in place of context queues). Counters are for
/// after `stop()`.
final class ThreadedStack: @unchecked Sendable {
    // Sendable: after `start` the fast-path objects are touched by the fast-path thread only and the
    // slow-path objects by the slow-path thread only; they share nothing but the rings and snapshots.
    let configuration: StackConfiguration
    let port: any Port
    let fastPath: FastPath
    let slowPath: SlowPath
    let link: FastPathLink
    let slowPathTick: UInt64
    private let frames: MemoryWire
    private let commands: MemoryWire
    private let snapshots: FlowSnapshots
    private let payloadRegion: UnsafeMutableRawPointer
    private let clock: any TimeSource
    private let stopRequested = ManagedAtomic(false)
    private let fastPathStop: WakeupSignal
    private let slowPathStop: WakeupSignal
    /// The fast path's slot for notices to the slow path.
    private let noticeSlot = FrameBatch(capacity: 1)
    private var threads: [JoinableThread] = []
    var fastPathApplication: ((FastPath, UInt64) -> Void)?
    var slowPathApplication: ((SlowPath, UInt64) -> Void)?
    /// The contexts' slow-path side (and the queues both threads arm), if contexts are served.
    var runtime: RuntimeEngine?
    /// The contexts' fast-path side, if contexts are served.
    var contexts: ThreadedContextService?
    /// Idle sleeps and thread CPU time of each thread.
    private(set) var fastPathIdleWaits: UInt64 = 0
    private(set) var slowPathIdleWaits: UInt64 = 0
    private(set) var fastPathCPUNanoseconds: UInt64 = 0
    private(set) var slowPathCPUNanoseconds: UInt64 = 0
    private(set) var exceptionDrops: UInt64 = 0
    private(set) var failedCommands: UInt64 = 0
    /// The slow path's frames that found the port's transmit ring full or were too long (dropped).
    private(set) var forwardDrops: UInt64 = 0
    /// Frames handed back for reprocessing that the fast path still could not handle (dropped).
    private(set) var reprocessExceptions: UInt64 = 0

    init(port: any Port, configuration: StackConfiguration, clock: any TimeSource = MonotonicTimeSource(),
         slowPathTick: UInt64 = 10_000_000, queueSlots: Int = 1024,
         signals: (fastPath: WakeupSignal, slowPath: WakeupSignal)? = nil) throws {
        self.configuration = configuration
        self.port = port
        self.clock = clock
        self.slowPathTick = slowPathTick
        fastPathStop = try signals?.fastPath ?? WakeupSignal()
        slowPathStop = try signals?.slowPath ?? WakeupSignal()
        frames = try MemoryWire(capacity: queueSlots, maximumFrameLength: port.maximumFrameLength,
                                macAddresses: (port.macAddress, port.macAddress), overflowCapacity: 0)
        commands = try MemoryWire(capacity: queueSlots, maximumFrameLength: FlowCommand.size, overflowCapacity: 0)
        let network = try NetworkHost(port: frames.a, configuration: configuration.network)
        // Allocated after the last `try`: a throwing init runs no `deinit`, which would leak it.
        let regionSize = configuration.payloadRegionSize
        payloadRegion = .allocate(byteCount: regionSize, alignment: 64)
        payloadRegion.initializeMemory(as: UInt8.self, repeating: 0, count: regionSize)
        snapshots = FlowSnapshots(capacity: configuration.flowCapacity)
        fastPath = FastPath(configuration: FastPathConfiguration(localAddress: configuration.network.interface.address,
                                                                 localMAC: port.macAddress, flowCapacity: configuration.flowCapacity,
                                                                 receiveWindowBudget: configuration.receiveWindowBudget),
                            port: port, payloadRegion: payloadRegion, payloadRegionSize: regionSize)
        fastPath.snapshots = snapshots
        link = FastPathLink(fastPath: fastPath, commands: commands.a, frames: frames.a, snapshots: snapshots)
        slowPath = SlowPath(flows: link, network: network, configuration: configuration.slowPath)
    }

    deinit { payloadRegion.deallocate() }

    /// Starts both threads; if the second cannot start, the first is stopped and joined before the
    /// error is thrown, so a failed start leaves no thread behind (and may be retried).
    func start() throws(JoinableThread.StartError) {
        threads.append(try JoinableThread { [self] in runFastPath() })
        do {
            threads.append(try JoinableThread { [self] in runSlowPath() })
        } catch {
            stop()
            stopRequested.store(false, ordering: .sequentiallyConsistent)
            throw error
        }
    }

    func stop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        fastPathStop.signal()
        slowPathStop.signal()
        for thread in threads { thread.join() }
        threads.removeAll()
    }

    // MARK: Fast-path thread

    private func runFastPath() {
        let received = FrameBatch(capacity: min(configuration.receiveBatchSize, FastPath.maximumReceiveBatch))
        let fromSlowPath = FrameBatch(capacity: 64)
        let commandBatch = FrameBatch(capacity: 64)
        let forward = FrameBatch(capacity: 64)
        let single = FrameBatch(capacity: 1)
        while !stopRequested.load(ordering: .relaxed) {
            let now = clock.now()
            port.poll()
            var busy = applyCommands(into: commandBatch, now: now) > 0
            busy = forwardSlowPathFrames(fromSlowPath, through: forward, commandBatch: commandBatch, now: now) > 0 || busy
            busy = contexts?.drainTransmitQueues(into: fastPath, now: now) ?? false || busy
            if port.receive(into: received) > 0 {
                busy = true
                fastPath.processReceived(received, now: now)
                for index in fastPath.exceptionIndices where index < received.count {
                    if !frames.b.transmit(copying: received[index].buffer, using: single) { exceptionDrops &+= 1 }
                }
            }
            port.releaseReceived(received)
            settleEvents()
            fastPathApplication?(fastPath, now)
            settleEvents()
            busy = fastPath.transmit(now: now) > 0 || busy
            settleEvents()
            settleContexts()
            guard !busy else { continue }
            let next = fastPath.nextTransmitTime ?? .max
            // Entries waiting for receive-queue room, or notices for ring room, are retried every 1 ms at least.
            let waiting = contexts.map { $0.hasPending || !$0.notices.isEmpty } ?? false
            let timeout = min(next > now ? next &- now : 0, waiting ? 1_000_000 : .max)
            guard timeout > 0 else { continue }
            if IdleSleep.sleep(ports: [port, frames.b, commands.b], signal: fastPathStop, timeoutNanoseconds: timeout,
                               arm: { runtime?.armTransmitQueues($0) },
                               hasWork: { runtime?.hasQueuedTransmits ?? false || stopRequested.load(ordering: .relaxed) }) {
                fastPathIdleWaits &+= 1
            } else {
                _ = port.waitForFrames(timeoutNanoseconds: Int64(min(timeout, 1_000_000)))
            }
        }
        fastPathCPUNanoseconds = flexshim_thread_cpu_ns()
    }

    /// Posts the contexts' waiting entries, publishes their receive queues, and sends the slow path
    /// the confirmations that find room (the rest wait, in order).
    private func settleContexts() {
        guard let contexts else { return }
        contexts.settle(fastPath: fastPath)
        var sent = 0
        while sent < contexts.notices.count && send(contexts.notices[sent]) { sent += 1 }
        contexts.notices.removeFirst(sent)
    }

    private func send(_ notice: FastPathNotice) -> Bool {
        guard commands.b.reserveTransmit(into: noticeSlot, count: 1) == 1 else { return false }
        var frame = noticeSlot[0]
        notice.store(to: &frame)
        noticeSlot[0] = frame
        return commands.b.commitTransmit(noticeSlot) == 1
    }

    /// Applies the slow path's commands; returns how many.
    private func applyCommands(into batch: FrameBatch, now: UInt64) -> Int {
        let count = commands.b.receive(into: batch)
        for index in 0..<batch.count {
            guard let command = FlowCommand(loading: batch[index]) else { continue }
            if !command.apply(to: fastPath, snapshots: snapshots, contexts: contexts, now: now) { failedCommands &+= 1 }
        }
        commands.b.releaseReceived(batch)
        return count
    }

    /// Sends the slow path's frames on the port, and processes the exception frames it hands back.
    private func forwardSlowPathFrames(_ batch: FrameBatch, through forward: FrameBatch, commandBatch: FrameBatch, now: UInt64) -> Int {
        let count = frames.b.receive(into: batch)
        for index in 0..<batch.count {
            let frame = batch[index]
            guard frame.length >= EthernetRepr.untaggedHeaderLength else { continue }
            if MACAddress(loadingFrom: frame.bytes) == port.macAddress {
                // The slow path installed the frame's flow before handing it back: apply that first.
                _ = applyCommands(into: commandBatch, now: now)
                if fastPath.processFrame(frame, now: now) == .exception { reprocessExceptions &+= 1 }
            } else if frame.length <= port.maximumFrameLength, port.reserveTransmit(into: forward, count: 1) == 1 {
                var slot = forward[forward.count - 1]
                slot.bytes.copyMemory(from: frame.bytes, byteCount: frame.length)
                slot.length = frame.length
                forward[forward.count - 1] = slot
            } else {
                forwardDrops &+= 1
            }
        }
        frames.b.releaseReceived(batch)
        if !forward.isEmpty { _ = port.commitTransmit(forward) }
        return count
    }

    /// Routes the fast path's events to the contexts (if served) and clears them, telling the slow
    /// path when one reports a FIN.
    private func settleEvents() {
        var finReported = false
        for index in 0..<fastPath.eventCount where !fastPath.events[index].closeFlags.isEmpty { finReported = true }
        contexts?.routeFlowEvents(of: fastPath)
        fastPath.clearEvents()
        if finReported { _ = send(.finReported) }
    }

    // MARK: Slow-path thread

    private func runSlowPath() {
        let exceptions = FrameBatch(capacity: 64)
        let notices = FrameBatch(capacity: 64)
        while !stopRequested.load(ordering: .relaxed) {
            let now = clock.now()
            link.flush()
            let received = frames.a.receive(into: exceptions)
            for index in 0..<exceptions.count { slowPath.handleFrame(exceptions[index], now: now) }
            frames.a.releaseReceived(exceptions)
            slowPath.network.flushTransmits()
            _ = commands.a.receive(into: notices)
            for index in 0..<notices.count {
                if case .confirmed(let ticket, let succeeded) = FastPathNotice(loading: notices[index]) {
                    runtime?.fastPathConfirmed(ticket: ticket, succeeded: succeeded)
                }
            }
            commands.a.releaseReceived(notices)
            slowPath.advance(now: now)
            let served = runtime?.serveSlowPath(now: now) ?? false
            slowPathApplication?(slowPath, now)
            link.flush()
            guard received == 0 && !served else { continue }
            let deadline = min(slowPath.nextDeadline, now &+ slowPathTick)
            guard deadline > now else { continue }
            if IdleSleep.sleep(ports: [frames.a, commands.a], signal: slowPathStop, timeoutNanoseconds: deadline &- now,
                               arm: { runtime?.armRequestQueues($0) },
                               hasWork: { link.waitingCommands > 0 || runtime?.hasQueuedRequests ?? false
                                   || stopRequested.load(ordering: .relaxed) }) {
                slowPathIdleWaits &+= 1
            }
        }
        slowPathCPUNanoseconds = flexshim_thread_cpu_ns()
    }
}
