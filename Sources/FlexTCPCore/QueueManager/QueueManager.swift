/// A transmit opportunity handed out by `QueueManager.nextTransmission(now:maximumBytes:)`: `flow`
/// may send up to `bytes` (more than 0) now.
///
/// Contract: the receiver reports back with `QueueManager.completeTransmission(flow:sentBytes:isBlocked:now:)`;
/// until then the flow is out of every queue.
package struct TransmitGrant: Equatable, Sendable {
    package let flow: FlowIndex
    package let bytes: UInt32

    package init(flow: FlowIndex, bytes: UInt32) {
        self.flow = flow
        self.bytes = bytes
    }
}

/// The fast path's queue manager (QM): one bucket per flow that decides which flow transmits next,
/// enforcing each flow's rate limit.
///
/// A bucket holds the flow's rate, the bytes it may send (added by `add(flow:bytes:now:)` when the
/// application posts data or an ACK opens the peer's window) and the time it may send next.
/// Rate-limited flows wait on a timing wheel of 4096 slots of `2^slotDurationLog2` ns (a bounded
/// horizon; flows due beyond it wait in the last slot and are re-slotted when it comes up);
/// unlimited flows take turns in a FIFO. Each grant is at most one chunk (`maximumBytes`, the MSS),
/// so flows interleave; when both kinds of flows are ready the two queues alternate.
///
/// Pacing: after sending `n` bytes at `now`, a limited flow may send again at
/// `max(previous + n / rate, now)`. Late service is made up within that interval, but the next send
/// time is never in the past, so neither idleness nor a delayed transmit loop earns a burst: a flow
/// that was idle or blocked starts again at `now`, and a flow served late sends at most one extra
/// chunk. A flow may be served up to one slot duration early.
///
/// Contract: every operation takes constant time (slot re-insertion of flows beyond the horizon is
/// amortized: once per horizon of elapsed time) and allocates nothing; storage is allocated in
/// `init` and freed when the value is destroyed. Flow indices `>= capacity` are rejected with
/// `false` or `nil`, never a trap. Time is the caller's monotonic clock in nanoseconds. Not
/// thread-safe: the fast path's single thread owns the value (it is `Sendable` only so ownership
/// can move to that thread); the slow path's rate changes reach it through the fast path.
package struct QueueManager: ~Copyable, @unchecked Sendable {
    /// The rate that means "not rate-limited": the flow is served round-robin with other unlimited flows.
    package static let unlimitedRate: UInt64 = 0

    /// Number of flow buckets; valid flow indices are `0..<capacity`.
    package let capacity: Int
    /// log2 of the timing wheel's slot duration in nanoseconds.
    package let slotDurationLog2: Int

    let buckets: UnsafeMutablePointer<QueueManagerBucket>
    /// Lists `0..<SlotOccupancy.slotCount` are the wheel's slots; the list after them is the FIFO.
    let lists: UnsafeMutablePointer<FlowList>
    var occupancy = SlotOccupancy()
    /// The absolute slot number (time >> slotDurationLog2) the wheel has advanced to; every flow on
    /// the wheel is due within `cursorSlot ..< cursorSlot + slotCount`.
    var cursorSlot: UInt64 = 0
    var servedWheelLast = false

    static var fifoList: Int { SlotOccupancy.slotCount }

    /// Creates buckets for `capacity` flows, all empty and unlimited. `slotDurationLog2` sets the
    /// wheel granularity (default 1024 ns, a horizon of about 4.2 ms).
    package init(capacity: Int, slotDurationLog2: Int = 10) {
        precondition(capacity > 0 && capacity < Int(FlowList.end), "queue manager capacity out of range")
        precondition((0...32).contains(slotDurationLog2), "slot duration out of range")
        self.capacity = capacity
        self.slotDurationLog2 = slotDurationLog2
        buckets = .allocate(capacity: capacity)
        buckets.initialize(repeating: QueueManagerBucket(), count: capacity)
        lists = .allocate(capacity: SlotOccupancy.slotCount + 1)
        lists.initialize(repeating: FlowList(), count: SlotOccupancy.slotCount + 1)
    }

    deinit {
        buckets.deallocate()
        lists.deallocate()
    }

    /// Adds `bytes` the flow may send (new application data, or window opened by an ACK) and
    /// queues the flow if it was idle. Returns false for an invalid flow index.
    @discardableResult
    package mutating func add(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        guard Int(flow) < capacity else { return false }
        guard bytes > 0 else { return true }
        let wasIdle = buckets[Int(flow)].availableBytes == 0
        buckets[Int(flow)].availableBytes = PacingArithmetic.saturatingSum(buckets[Int(flow)].availableBytes, UInt64(bytes))
        if wasIdle && !buckets[Int(flow)].isGranted {
            buckets[Int(flow)].nextSendTime = max(buckets[Int(flow)].nextSendTime, now)
            requeue(flow, now: now)
        }
        return true
    }

    /// Sets the flow's rate in bytes per second (`unlimitedRate` for none). A wait in progress is
    /// stretched or shortened to the new rate; a flow that becomes limited is paced from `now`.
    /// Returns false for an invalid flow index.
    @discardableResult
    package mutating func setRate(flow: FlowIndex, bytesPerSecond: UInt64, now: UInt64) -> Bool {
        guard Int(flow) < capacity else { return false }
        let oldScaled = buckets[Int(flow)].scaledNanosecondsPerByte
        let newScaled = bytesPerSecond == Self.unlimitedRate
            ? 0 : PacingArithmetic.scaledNanosecondsPerByte(bytesPerSecond: bytesPerSecond)
        buckets[Int(flow)].bytesPerSecond = bytesPerSecond
        buckets[Int(flow)].scaledNanosecondsPerByte = newScaled
        if oldScaled == 0 {
            buckets[Int(flow)].nextSendTime = now
            buckets[Int(flow)].pacingFraction = 0
        } else if newScaled != 0 && buckets[Int(flow)].nextSendTime > now {
            let remaining = PacingArithmetic.rescale(buckets[Int(flow)].nextSendTime - now, from: oldScaled, to: newScaled)
            buckets[Int(flow)].nextSendTime = PacingArithmetic.saturatingSum(now, remaining)
        }
        if buckets[Int(flow)].list != FlowList.unlinked && oldScaled != newScaled {
            unlink(flow)
            requeue(flow, now: now)
        }
        return true
    }

    /// Forgets the flow (torn down): its bytes, rate and queue position; the index may be reused.
    /// Returns false for an invalid flow index.
    @discardableResult
    package mutating func remove(flow: FlowIndex) -> Bool {
        guard Int(flow) < capacity else { return false }
        if buckets[Int(flow)].list != FlowList.unlinked { unlink(flow) }
        buckets[Int(flow)] = QueueManagerBucket()
        return true
    }

    /// Hands out the next transmit opportunity due at `now`: a flow and up to `maximumBytes` of its
    /// available bytes. Nil when no flow is due (see `earliestDueTime`) or `maximumBytes` is 0.
    package mutating func nextTransmission(now: UInt64, maximumBytes: UInt32) -> TransmitGrant? {
        guard maximumBytes > 0 else { return nil }
        let nowSlot = now >> UInt64(slotDurationLog2)
        // Without rate-limited flows (no congestion control) the wheel is empty: not even a call for it.
        let chosen = occupancy.isEmpty ? popFirstUnlimited()
            : servedWheelLast
            ? (popFirstUnlimited() ?? popDueRateLimited(nowSlot: nowSlot))
            : (popDueRateLimited(nowSlot: nowSlot) ?? popFirstUnlimited())
        guard let flow = chosen else { return nil }
        servedWheelLast = buckets[Int(flow)].isRateLimited
        buckets[Int(flow)].isGranted = true
        let bytes = min(buckets[Int(flow)].availableBytes, UInt64(maximumBytes))
        return TransmitGrant(flow: flow, bytes: UInt32(truncatingIfNeeded: bytes))
    }

    /// Reports what the fast path did with a grant: it sent `sentBytes`, and `isBlocked` says the
    /// peer's window stopped it. A blocked flow leaves the QM with no bytes available until the
    /// next `add`; otherwise a flow with bytes left is queued again (after its pacing interval).
    /// A grant returned unused (`sentBytes` 0, not blocked, e.g. the port was full) is due again at
    /// once. Returns false when the flow holds no grant (or was removed meanwhile).
    @discardableResult
    package mutating func completeTransmission(
        flow: FlowIndex, sentBytes: UInt32, isBlocked: Bool, now: UInt64
    ) -> Bool {
        guard Int(flow) < capacity, buckets[Int(flow)].isGranted else { return false }
        buckets[Int(flow)].isGranted = false
        let sent = min(UInt64(sentBytes), buckets[Int(flow)].availableBytes)
        buckets[Int(flow)].availableBytes = isBlocked ? 0 : buckets[Int(flow)].availableBytes - sent
        if sent > 0 && buckets[Int(flow)].isRateLimited { chargePacing(flow, sentBytes: sent, now: now) }
        if buckets[Int(flow)].availableBytes > 0 { requeue(flow, now: now) }
        return true
    }

    /// The earliest time at which `nextTransmission` may hand something out: 0 when an unlimited
    /// flow is waiting, the start of the first occupied wheel slot otherwise (for a flow beyond the
    /// horizon that is the horizon, earlier than its real time), nil when nothing is queued.
    package var earliestDueTime: UInt64? {
        if !lists[Self.fifoList].isEmpty { return 0 }
        return firstOccupiedSlot().map { $0 << UInt64(slotDurationLog2) }
    }

    /// True when some flow waits in the FIFO or on the wheel (due now or later); false means
    /// `nextTransmission` hands out nothing, whatever the time. A few loads, for an idle transmit stage.
    package var hasQueuedFlows: Bool { !lists[Self.fifoList].isEmpty || !occupancy.isEmpty }

    /// Bytes the flow may still send as far as the QM knows (0 for an invalid index).
    package func availableBytes(of flow: FlowIndex) -> UInt64 {
        Int(flow) < capacity ? buckets[Int(flow)].availableBytes : 0
    }

    /// True when the flow waits in a queue (FIFO or wheel) or holds a grant: it will be served
    /// without another `add` (false for an invalid index).
    package func isQueued(flow: FlowIndex) -> Bool {
        Int(flow) < capacity && (buckets[Int(flow)].list != FlowList.unlinked || buckets[Int(flow)].isGranted)
    }

    /// The flow's rate in bytes per second, `unlimitedRate` when unlimited (or an invalid index).
    package func rate(of flow: FlowIndex) -> UInt64 {
        Int(flow) < capacity ? buckets[Int(flow)].bytesPerSecond : Self.unlimitedRate
    }
}
