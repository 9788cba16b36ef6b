import Atomics
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
/// returned for reprocessing); `commands` — slow → fast `FlowCommand`s, and fast → slow one-byte
/// notices when a FIN arrived or was acknowledged (the slow path then reads the snapshot). An
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
/// Contract: after `init` the stack owns the port; `start()` starts both threads, `stop()` ends
/// and joins them and must be called before the stack is dropped. The application hooks run on
/// the named thread each round (tests and embedders use them in place of context queues, which
/// this mode does not serve yet). Counters are for after `stop()`.
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
    private var threads: [JoinableThread] = []
    var fastPathApplication: ((FastPath, UInt64) -> Void)?
    var slowPathApplication: ((SlowPath, UInt64) -> Void)?
    private(set) var exceptionDrops: UInt64 = 0
    private(set) var failedCommands: UInt64 = 0
    /// The slow path's frames that found the port's transmit ring full or were too long (dropped).
    private(set) var forwardDrops: UInt64 = 0
    /// Frames handed back for reprocessing that the fast path still could not handle (dropped).
    private(set) var reprocessExceptions: UInt64 = 0

    init(port: any Port, configuration: StackConfiguration, clock: any TimeSource = MonotonicTimeSource(),
         slowPathTick: UInt64 = 10_000_000, queueSlots: Int = 1024) throws {
        self.configuration = configuration
        self.port = port
        self.clock = clock
        self.slowPathTick = slowPathTick
        fastPathStop = try WakeupSignal()
        slowPathStop = try WakeupSignal()
        let regionSize = configuration.payloadRegionSize
        payloadRegion = .allocate(byteCount: regionSize, alignment: 64)
        payloadRegion.initializeMemory(as: UInt8.self, repeating: 0, count: regionSize)
        frames = try MemoryWire(capacity: queueSlots, maximumFrameLength: port.maximumFrameLength,
                                macAddresses: (port.macAddress, port.macAddress), overflowCapacity: 0)
        commands = try MemoryWire(capacity: queueSlots, maximumFrameLength: FlowCommand.size, overflowCapacity: 0)
        snapshots = FlowSnapshots(capacity: configuration.flowCapacity)
        fastPath = FastPath(configuration: FastPathConfiguration(localAddress: configuration.network.interface.address,
                                                                 localMAC: port.macAddress, flowCapacity: configuration.flowCapacity),
                            port: port, payloadRegion: payloadRegion, payloadRegionSize: regionSize)
        fastPath.snapshots = snapshots
        link = FastPathLink(fastPath: fastPath, commands: commands.a, frames: frames.a, snapshots: snapshots)
        let network = try NetworkHost(port: frames.a, configuration: configuration.network)
        slowPath = SlowPath(flows: link, network: network, configuration: configuration.slowPath)
    }

    deinit { payloadRegion.deallocate() }

    func start() throws(JoinableThread.StartError) {
        threads.append(try JoinableThread { [self] in runFastPath() })
        threads.append(try JoinableThread { [self] in runSlowPath() })
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
            guard !busy else { continue }
            let next = fastPath.nextTransmitTime ?? .max
            let timeout = next > now ? next &- now : 0
            guard timeout > 0 else { continue }
            if !IdleSleep.sleep(ports: [port, frames.b, commands.b], signal: fastPathStop, timeoutNanoseconds: timeout, arm: { _ in },
                                hasWork: { stopRequested.load(ordering: .relaxed) }) {
                _ = port.waitForFrames(timeoutNanoseconds: Int64(min(timeout, 1_000_000)))
            }
        }
    }

    /// Applies the slow path's commands; returns how many.
    private func applyCommands(into batch: FrameBatch, now: UInt64) -> Int {
        let count = commands.b.receive(into: batch)
        for index in 0..<batch.count {
            guard let command = FlowCommand(loading: batch[index]) else { continue }
            if !command.apply(to: fastPath, snapshots: snapshots, now: now) { failedCommands &+= 1 }
        }
        commands.b.releaseReceived(batch)
        return count
    }

    /// Sends the slow path's frames on the port, and processes the exception frames it hands back.
    private func forwardSlowPathFrames(_ batch: FrameBatch, through forward: FrameBatch, commandBatch: FrameBatch, now: UInt64) -> Int {
        let count = frames.b.receive(into: batch)
        for index in 0..<batch.count {
            let frame = batch[index]
            guard frame.length >= SegmentHeaders.ethernetLength else { continue }
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

    /// Clears the fast path's events, telling the slow path when one reports a FIN.
    private func settleEvents() {
        var finReported = false
        for index in 0..<fastPath.eventCount where !fastPath.events[index].closeFlags.isEmpty { finReported = true }
        fastPath.clearEvents()
        if finReported { _ = commands.b.transmit([1]) }
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
            commands.a.releaseReceived(notices)
            slowPath.advance(now: now)
            slowPathApplication?(slowPath, now)
            link.flush()
            guard received == 0 else { continue }
            let deadline = min(slowPath.nextDeadline, now &+ slowPathTick)
            guard deadline > now else { continue }
            _ = IdleSleep.sleep(ports: [frames.a, commands.a], signal: slowPathStop, timeoutNanoseconds: deadline &- now, arm: { _ in },
                                hasWork: { link.waitingCommands > 0 || stopRequested.load(ordering: .relaxed) })
        }
    }
}
