import FlexWire

/// Middleware that makes the link behind any `Port` imperfect, deterministically: frames committed
/// for transmit go through random loss, a drop-tail queue with optional ECN CE-marking, a rate-limited
/// link, propagation delay, and random duplication, corruption and reordering (see
/// `LinkEmulatorSettings`), all on the injected `TimeSource` and one seeded random source. Received
/// frames pass through unchanged.
///
/// Contract:
/// - A frame is handed to the wrapped port once its time is due, in `poll()`, `receive(into:)`,
///   `commitTransmit(_:)` or `waitForFrames` (which sleeps no longer than until the next is due).
///   If the wrapped port takes fewer frames than are due, the rest wait for the next call.
/// - `commitTransmit` returns the frames that entered the link (not dropped by loss, queue or length).
/// - `statistics` are the wrapped port's, with every frame the emulator dropped added to `transmitDrops`;
///   `emulatorStatistics` counts each effect.
/// - Same seed, same settings, same calls at the same (virtual) times: same result.
/// - One thread at a time. No allocation after `init`; each delivered frame is copied once into the
///   wrapped port's slot, reserved one per frame that is due.
/// - No checksum offload (`transmitChecksumOffload` is `.none`): frames it may corrupt must carry
///   complete checksums so that the receiver can tell.
public final class LinkEmulator: Port {
    public let inner: any Port
    /// May change between calls (e.g. loss switched on once connections are open); a change applies
    /// to frames committed afterwards (the random source and the pool stay as they were).
    public var settings: LinkEmulatorSettings
    public private(set) var emulatorStatistics = LinkEmulatorStatistics()
    private let timeSource: any TimeSource
    private var random: SeededRandom
    private let pool: FramePool
    /// Pool buffers handed out by `reserveTransmit` since the last commit.
    private let lent: FrameIndexQueue
    /// The frames of each `Line`.
    private let serializing: FrameIndexQueue
    private let propagating: FrameIndexQueue
    private let heldBack: FrameIndexQueue
    private let deliveryBatch: FrameBatch
    /// When the link finishes serializing the last queued frame.
    private var linkFreeAt: UInt64 = 0
    /// Sub-nanosecond serialization time carried from one frame to the next (in bit·ns units / rate).
    private var serializationRemainder: UInt64 = 0

    public init(wrapping inner: any Port, settings: LinkEmulatorSettings, timeSource: any TimeSource) {
        self.inner = inner
        self.settings = settings
        self.timeSource = timeSource
        random = SeededRandom(seed: settings.seed)
        pool = FramePool(capacity: settings.poolCapacity, frameCapacity: inner.maximumFrameLength)
        lent = FrameIndexQueue(capacity: settings.poolCapacity)
        serializing = FrameIndexQueue(capacity: settings.poolCapacity)
        propagating = FrameIndexQueue(capacity: settings.poolCapacity)
        heldBack = FrameIndexQueue(capacity: settings.poolCapacity)
        deliveryBatch = FrameBatch(capacity: 64)
    }

    public var macAddress: MACAddress { inner.macAddress }
    public var maximumFrameLength: Int { inner.maximumFrameLength }

    public var statistics: PortStatistics {
        var statistics = inner.statistics
        statistics.transmitDrops &+= emulatorStatistics.droppedByLoss &+ emulatorStatistics.droppedByQueue &+ emulatorStatistics.rejected
        return statistics
    }

    /// Frames inside the emulator: queued, propagating or held back.
    public var framesInFlight: Int { serializing.count &+ propagating.count &+ heldBack.count }

    /// Frames waiting for, or in, serialization: the queue that drop-tail and ECN marking look at.
    public var queuedFrames: Int { serializing.count }

    public func receive(into batch: FrameBatch) -> Int {
        deliverDueFrames(now: timeSource.now())
        return inner.receive(into: batch)
    }

    public func releaseReceived(_ batch: FrameBatch) { inner.releaseReceived(batch) }

    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int {
        let wanted = min(count, batch.capacity - batch.count)
        var handedOut = 0
        while handedOut < wanted, let index = pool.take() {
            pool.frames[Int(index)].state = .lent
            lent.append(index)
            batch.append(Frame(bytes: pool.buffer(index), length: 0, capacity: pool.frameCapacity))
            handedOut &+= 1
        }
        return handedOut
    }

    public func commitTransmit(_ batch: FrameBatch) -> Int {
        let now = timeSource.now()
        finishSerialization(now: now)
        var entered = 0
        for position in 0..<batch.count {
            let frame = batch[position]
            if frame.length == 0 { continue }
            guard frame.length > 0, frame.length <= pool.frameCapacity, let index = adopt(frame) else {
                emulatorStatistics.rejected &+= 1
                continue
            }
            if enqueue(index, now: now) { entered &+= 1 }
        }
        batch.removeAll()
        while !lent.isEmpty {
            let index = lent.removeFirst()
            if pool.frames[Int(index)].state == .lent { pool.give(index) }
        }
        deliverDueFrames(now: now)
        return entered
    }

    public func poll() {
        deliverDueFrames(now: timeSource.now())
    }

    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool {
        var timeout = timeoutNanoseconds
        if let due = nextArrival() {
            let now = timeSource.now()
            timeout = due > now ? min(timeout, Int64(clamping: due - now)) : 0
        }
        let ready = inner.waitForFrames(timeoutNanoseconds: timeout)
        poll()
        return ready
    }

    /// The wrapped port's, while the link holds no frame; nil while it does (they are released
    /// by `poll` at their due time, which a sleep on the descriptor would miss).
    public var readinessDescriptor: Int32? { nextArrival() == nil ? inner.readinessDescriptor : nil }
    public func armReadiness() -> Bool { inner.armReadiness() }
    public func disarmReadiness() { inner.disarmReadiness() }

    /// The pool buffer holding `frame`, with its length and flags recorded: the lent buffer itself, or
    /// a free one the frame is copied into when it came from elsewhere. nil when none is free.
    private func adopt(_ frame: Frame) -> UInt32? {
        let index: UInt32
        if let own = pool.index(of: frame.bytes), pool.frames[Int(own)].state == .lent {
            index = own
        } else {
            guard let free = pool.take() else { return nil }
            pool.buffer(free).copyMemory(from: frame.bytes, byteCount: frame.length)
            index = free
        }
        pool.frames[Int(index)].length = frame.length
        pool.frames[Int(index)].flags = frame.flags
        pool.frames[Int(index)].segmentSize = frame.segmentSize
        return index
    }

    /// Applies loss, drop-tail, marking, duplication, corruption and reordering to one adopted frame
    /// and schedules it. Returns false if it was dropped (and its buffer given back).
    private func enqueue(_ index: UInt32, now: UInt64) -> Bool {
        if random.nextBoolean(probability: settings.dropProbability) {
            emulatorStatistics.droppedByLoss &+= 1
            pool.give(index)
            return false
        }
        guard serializing.count < settings.queueLimit else {
            emulatorStatistics.droppedByQueue &+= 1
            pool.give(index)
            return false
        }
        let bytes = pool.buffer(index)
        let length = pool.frames[Int(index)].length
        if let threshold = settings.ecnMarkingThreshold, serializing.count > threshold,
           ECNMarking.markCongestionExperienced(bytes, length: length) {
            emulatorStatistics.marked &+= 1
        }
        // The copy is taken before corruption and reordering, which apply to the original only.
        let copy = random.nextBoolean(probability: settings.duplicateProbability) ? duplicate(index) : nil
        if random.nextBoolean(probability: settings.corruptProbability) {
            let bit = random.next(upperBound: UInt64(length) &* 8)
            let byte = bytes + Int(bit >> 3)
            byte.storeBytes(of: byte.load(as: UInt8.self) ^ (1 << UInt8(bit & 7)), as: UInt8.self)
            emulatorStatistics.corrupted &+= 1
        }
        let holdBack = random.nextBoolean(probability: settings.reorderProbability)
        if holdBack { emulatorStatistics.reordered &+= 1 }
        schedule(index, now: now, holdBack: holdBack)
        if let copy, serializing.count < settings.queueLimit {
            emulatorStatistics.duplicated &+= 1
            schedule(copy, now: now, holdBack: false)
        } else if let copy {
            pool.give(copy)
        }
        return true
    }

    /// A second buffer with the same frame, or nil when the pool is exhausted.
    private func duplicate(_ index: UInt32) -> UInt32? {
        guard let copy = pool.take() else { return nil }
        let original = pool.frames[Int(index)]
        pool.buffer(copy).copyMemory(from: pool.buffer(index), byteCount: original.length)
        pool.frames[Int(copy)] = original
        return copy
    }

    /// Puts the frame on the link behind everything queued: computes when its last bit leaves
    /// (the rate) and when it arrives (the delay, plus the hold for a reordered frame).
    private func schedule(_ index: UInt32, now: UInt64, holdBack: Bool) {
        var departure = now
        if settings.rateBitsPerSecond > 0 {
            if linkFreeAt < now {
                linkFreeAt = now
                serializationRemainder = 0
            }
            let work = UInt64(pool.frames[Int(index)].length) &* 8 &* 1_000_000_000 &+ serializationRemainder
            linkFreeAt &+= work / settings.rateBitsPerSecond
            serializationRemainder = work % settings.rateBitsPerSecond
            departure = linkFreeAt
        }
        var arrival = departure &+ settings.propagationDelayNanoseconds
        if holdBack { arrival &+= settings.reorderHoldNanoseconds }
        pool.frames[Int(index)].state = .queued
        pool.frames[Int(index)].heldBack = holdBack
        pool.frames[Int(index)].departure = departure
        pool.frames[Int(index)].arrival = arrival
        // A frame already serialized (no rate limit) never occupies the queue.
        queue(departure > now ? .serializing : holdBack ? .heldBack : .propagating).append(index)
        emulatorStatistics.maximumQueuedFrames = max(emulatorStatistics.maximumQueuedFrames, serializing.count)
    }

    /// Moves frames whose serialization has finished by `now` on to propagation.
    private func finishSerialization(now: UInt64) {
        while !serializing.isEmpty, pool.frames[Int(serializing.first)].departure <= now {
            let index = serializing.removeFirst()
            queue(pool.frames[Int(index)].heldBack ? .heldBack : .propagating).append(index)
        }
    }

    /// The earliest arrival among frames in the emulator.
    private func nextArrival() -> UInt64? {
        let earliest = min(min(firstArrival(.serializing), firstArrival(.propagating)), firstArrival(.heldBack))
        return earliest == .max ? nil : earliest
    }

    /// When the first frame of `line` arrives; `UInt64.max` for an empty line.
    private func firstArrival(_ line: Line) -> UInt64 {
        let frames = queue(line)
        return frames.isEmpty ? .max : pool.frames[Int(frames.first)].arrival
    }

    /// The stages a frame passes through after it was committed.
    private enum Line {
        /// Waiting for, or in, serialization; ordered by departure.
        case serializing
        /// Serialized and on the way; ordered by arrival.
        case propagating
        /// Serialized and held back for reordering; ordered by arrival.
        case heldBack
    }

    private func queue(_ line: Line) -> FrameIndexQueue {
        switch line {
        case .serializing: serializing
        case .propagating: propagating
        case .heldBack: heldBack
        }
    }

    /// The line whose first frame arrives next, if that is by `now`; on a tie, frames that were
    /// not held back go first.
    private func nextDueLine(now: UInt64) -> Line? {
        let regular = firstArrival(.propagating)
        let held = firstArrival(.heldBack)
        if regular <= held { return regular <= now ? .propagating : nil }
        return held <= now ? .heldBack : nil
    }

    /// Copies every frame due by `now` into slots of the wrapped port (one slot reserved per frame)
    /// and commits them, a batch at a time; frames the wrapped port has no slot for stay due.
    private func deliverDueFrames(now: UInt64) {
        finishSerialization(now: now)
        while let line = nextDueLine(now: now) {
            if deliveryBatch.isFull { commitDeliveries() }
            guard inner.reserveTransmit(into: deliveryBatch, count: 1) == 1 else { break }
            let index = queue(line).removeFirst()
            let pooled = pool.frames[Int(index)]
            let last = deliveryBatch.count &- 1
            var slot = deliveryBatch[last]
            slot.bytes.copyMemory(from: pool.buffer(index), byteCount: pooled.length)
            slot.length = pooled.length
            slot.flags = pooled.flags
            slot.segmentSize = pooled.segmentSize
            deliveryBatch[last] = slot
            pool.give(index)
        }
        commitDeliveries()
    }

    /// Commits the frames copied into `deliveryBatch`, if any.
    private func commitDeliveries() {
        guard !deliveryBatch.isEmpty else { return }
        emulatorStatistics.delivered &+= UInt64(inner.commitTransmit(deliveryBatch))
    }
}
