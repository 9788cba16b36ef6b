import FlexTCPCore
import Testing

// `QueueManager` is non-copyable, which `#expect` cannot capture: results are bound to locals first.

/// Takes every grant due at `now` (at most `limit`), sends each in full, and returns them in order.
func drainGrants(
    _ queueManager: inout QueueManager, now: UInt64, limit: Int = 100_000,
    maximumBytes: UInt32 = VirtualTransmitLoop.chunk
) -> [TransmitGrant] {
    var grants: [TransmitGrant] = []
    while grants.count < limit, let grant = queueManager.nextTransmission(now: now, maximumBytes: maximumBytes) {
        grants.append(grant)
        queueManager.completeTransmission(flow: grant.flow, sentBytes: grant.bytes, isBlocked: false, now: now)
    }
    return grants
}

@Suite struct QueueManagerTests {
    @Test func unlimitedFlowsAreServedRoundRobin() {
        var queueManager = QueueManager(capacity: 8)
        for flow: FlowIndex in [3, 1, 4, 0, 6] {
            queueManager.add(flow: flow, bytes: 10_000_000, now: PacingClock.start)
        }
        let grants = drainGrants(&queueManager, now: PacingClock.start, limit: 5_003)
        #expect(grants.prefix(7).map(\.flow) == [3, 1, 4, 0, 6, 3, 1])
        var sent: [FlowIndex: UInt64] = [:]
        for grant in grants { sent[grant.flow, default: 0] += UInt64(grant.bytes) }
        let shares = sent.values
        #expect(sent.count == 5)
        #expect(shares.max()! - shares.min()! <= UInt64(VirtualTransmitLoop.chunk))
    }

    @Test func aFlowWithoutDataIsNotScheduled() {
        var queueManager = QueueManager(capacity: 4)
        queueManager.setRate(flow: 1, bytesPerSecond: 1_000_000, now: PacingClock.start)
        queueManager.add(flow: 2, bytes: 0, now: PacingClock.start)
        let grant = queueManager.nextTransmission(now: PacingClock.start + PacingClock.second, maximumBytes: 1448)
        let due = queueManager.earliestDueTime
        #expect(grant == nil)
        #expect(due == nil)
    }

    @Test(arguments: [QueueManager.unlimitedRate, 125_000_000])
    func hasQueuedFlowsFollowsTheQueues(bytesPerSecond: UInt64) {
        var queueManager = QueueManager(capacity: 4)
        queueManager.setRate(flow: 2, bytesPerSecond: bytesPerSecond, now: PacingClock.start)
        let initially = queueManager.hasQueuedFlows
        queueManager.add(flow: 2, bytes: 3 * 1448, now: PacingClock.start)
        let afterAdd = queueManager.hasQueuedFlows
        // A limited flow waits on the wheel (not yet due) after its first chunk: still queued.
        let first = queueManager.nextTransmission(now: PacingClock.start, maximumBytes: 1448)
        queueManager.completeTransmission(flow: 2, sentBytes: 1448, isBlocked: false, now: PacingClock.start)
        let afterFirstChunk = queueManager.hasQueuedFlows
        var now = PacingClock.start + PacingClock.millisecond
        while let grant = queueManager.nextTransmission(now: now, maximumBytes: 1448) {
            queueManager.completeTransmission(flow: grant.flow, sentBytes: grant.bytes, isBlocked: false, now: now)
            now += PacingClock.millisecond
        }
        let afterDrain = queueManager.hasQueuedFlows
        let leftover = queueManager.availableBytes(of: 2)
        #expect(!initially)
        #expect(afterAdd)
        #expect(first == TransmitGrant(flow: 2, bytes: 1448))
        #expect(afterFirstChunk)
        #expect(leftover == 0)
        #expect(!afterDrain)
    }

    @Test func grantsAreAtMostOneChunkAndNeverMoreThanAvailable() {
        var queueManager = QueueManager(capacity: 2)
        queueManager.add(flow: 1, bytes: 3000, now: PacingClock.start)
        let emptyGrant = queueManager.nextTransmission(now: PacingClock.start, maximumBytes: 0)
        let grants = drainGrants(&queueManager, now: PacingClock.start)
        let available = queueManager.availableBytes(of: 1)
        #expect(emptyGrant == nil)
        #expect(grants == [TransmitGrant(flow: 1, bytes: 1448), TransmitGrant(flow: 1, bytes: 1448), TransmitGrant(flow: 1, bytes: 104)])
        #expect(available == 0)
    }

    @Test(arguments: [QueueManager.unlimitedRate, 125_000_000])
    func aBlockedFlowWaitsUntilReAdded(bytesPerSecond: UInt64) {
        var queueManager = QueueManager(capacity: 2)
        queueManager.setRate(flow: 0, bytesPerSecond: bytesPerSecond, now: PacingClock.start)
        queueManager.add(flow: 0, bytes: 100_000, now: PacingClock.start)
        let grant = queueManager.nextTransmission(now: PacingClock.start, maximumBytes: 1448)
        let completed = queueManager.completeTransmission(flow: 0, sentBytes: 500, isBlocked: true, now: PacingClock.start)
        let availableWhenBlocked = queueManager.availableBytes(of: 0)
        let dueWhenBlocked = queueManager.earliestDueTime
        let grantWhenBlocked = queueManager.nextTransmission(now: PacingClock.start + PacingClock.second, maximumBytes: 1448)
        #expect(grant == TransmitGrant(flow: 0, bytes: 1448))
        #expect(completed)
        #expect(availableWhenBlocked == 0)
        #expect(dueWhenBlocked == nil)
        #expect(grantWhenBlocked == nil)

        // An ACK opens the window two seconds later: the flow is due at once, with only the new bytes.
        let reopened = PacingClock.start + 2 * PacingClock.second
        queueManager.add(flow: 0, bytes: 2000, now: reopened)
        let grantsWhenReopened = drainGrants(&queueManager, now: reopened, limit: 1)
        #expect(grantsWhenReopened == [TransmitGrant(flow: 0, bytes: 1448)])
    }

    @Test func anUnusedGrantIsDueAgainAtOnce() {
        var queueManager = QueueManager(capacity: 2)
        queueManager.setRate(flow: 1, bytesPerSecond: 1_000_000, now: PacingClock.start)
        queueManager.add(flow: 1, bytes: 5000, now: PacingClock.start)
        let first = queueManager.nextTransmission(now: PacingClock.start, maximumBytes: 1448)
        queueManager.completeTransmission(flow: 1, sentBytes: 0, isBlocked: false, now: PacingClock.start)
        let second = queueManager.nextTransmission(now: PacingClock.start, maximumBytes: 1448)
        #expect(first != nil)
        #expect(second == first)
    }

    @Test func completingWithoutAGrantIsRejected() {
        var queueManager = QueueManager(capacity: 2)
        queueManager.add(flow: 1, bytes: 5000, now: PacingClock.start)
        let completed = queueManager.completeTransmission(flow: 1, sentBytes: 1448, isBlocked: false, now: PacingClock.start)
        let available = queueManager.availableBytes(of: 1)
        #expect(!completed)
        #expect(available == 5000)
    }

    @Test func removedFlowsLeaveEveryQueue() {
        var queueManager = QueueManager(capacity: 4)
        queueManager.add(flow: 0, bytes: 10_000, now: PacingClock.start)
        queueManager.add(flow: 1, bytes: 10_000, now: PacingClock.start)
        queueManager.setRate(flow: 2, bytesPerSecond: 1000, now: PacingClock.start)
        queueManager.add(flow: 2, bytes: 10_000, now: PacingClock.start)
        let granted = queueManager.nextTransmission(now: PacingClock.start, maximumBytes: 1448)
        #expect(granted?.flow == 2)

        let removedQueued = queueManager.remove(flow: 0)
        let removedGranted = queueManager.remove(flow: 2)
        let completedAfterRemoval = queueManager.completeTransmission(flow: 2, sentBytes: 1448, isBlocked: false, now: PacingClock.start)
        let later = drainGrants(&queueManager, now: PacingClock.start + PacingClock.second)
        let due = queueManager.earliestDueTime
        let rate = queueManager.rate(of: 2)
        let available = queueManager.availableBytes(of: 2)
        #expect(removedQueued && removedGranted)
        #expect(!completedAfterRemoval)
        #expect(Set(later.map(\.flow)) == [1])
        #expect(due == nil)
        #expect(rate == QueueManager.unlimitedRate)
        #expect(available == 0)

        // A reused index starts fresh.
        queueManager.add(flow: 2, bytes: 1448, now: PacingClock.start + PacingClock.second)
        let reused = drainGrants(&queueManager, now: PacingClock.start + PacingClock.second)
        #expect(reused == [TransmitGrant(flow: 2, bytes: 1448)])
    }

    @Test func flowIndicesBeyondCapacityAreRejected() {
        var queueManager = QueueManager(capacity: 16)
        for flow: FlowIndex in [16, 17, FlowIndex.max] {
            let added = queueManager.add(flow: flow, bytes: 1, now: PacingClock.start)
            let rateSet = queueManager.setRate(flow: flow, bytesPerSecond: 1000, now: PacingClock.start)
            let removed = queueManager.remove(flow: flow)
            let completed = queueManager.completeTransmission(flow: flow, sentBytes: 1, isBlocked: false, now: PacingClock.start)
            let available = queueManager.availableBytes(of: flow)
            #expect(!added && !rateSet && !removed && !completed)
            #expect(available == 0)
        }
        let due = queueManager.earliestDueTime
        let lastAdded = queueManager.add(flow: 15, bytes: 1, now: PacingClock.start)
        let grants = drainGrants(&queueManager, now: PacingClock.start)
        #expect(due == nil)
        #expect(lastAdded)
        #expect(grants == [TransmitGrant(flow: 15, bytes: 1)])
    }

    @Test func anIdleFlowDoesNotBurst() {
        var queueManager = QueueManager(capacity: 2)
        let rate: UInt64 = 125_000_000  // 1 Gbit/s: 11.6 µs per chunk
        queueManager.setRate(flow: 1, bytesPerSecond: rate, now: PacingClock.start)
        queueManager.add(flow: 1, bytes: 10 * 1448, now: PacingClock.start)
        var loop = VirtualTransmitLoop(flowCount: 2, start: PacingClock.start)
        loop.run(&queueManager, until: PacingClock.start + PacingClock.millisecond, keepBacklogged: false)
        #expect(loop.sentBytes[1] == 10 * 1448)

        // Idle for a second, then a large write.
        let resumed = PacingClock.start + PacingClock.second
        queueManager.add(flow: 1, bytes: VirtualTransmitLoop.backlogRefill, now: resumed)
        let grantsAtOnce = drainGrants(&queueManager, now: resumed)
        #expect(grantsAtOnce.count == 1)
        loop = VirtualTransmitLoop(flowCount: 2, start: resumed)
        loop.run(&queueManager, until: resumed + PacingClock.millisecond)
        #expect(loop.sentBytes[1] <= rate / 1000 + 1448)
        expectSentBytes(loop.sentBytes[1], bytesPerSecond: rate, over: PacingClock.millisecond)
    }

    @Test(arguments: [(1_250_000, 125_000_000), (125_000_000, 1_250_000)] as [(UInt64, UInt64)])
    func rateChangesTakeEffect(from oldRate: UInt64, to newRate: UInt64) throws {
        var queueManager = QueueManager(capacity: 1)
        queueManager.setRate(flow: 0, bytesPerSecond: oldRate, now: PacingClock.start)
        queueManager.add(flow: 0, bytes: VirtualTransmitLoop.backlogRefill, now: PacingClock.start)
        var loop = VirtualTransmitLoop(flowCount: 1, start: PacingClock.start, recordsGrantTimes: true)
        let phase = 100 * PacingClock.millisecond
        loop.run(&queueManager, until: PacingClock.start + phase)
        expectSentBytes(loop.sentBytes[0], bytesPerSecond: oldRate, over: phase)

        // Change the rate halfway through a wait.
        let lastGrant = try #require(loop.grantTimes?[0].last)
        let oldInterval = 1448 * PacingClock.second / oldRate
        let change = lastGrant + oldInterval / 2
        queueManager.setRate(flow: 0, bytesPerSecond: newRate, now: change)
        loop = VirtualTransmitLoop(flowCount: 1, start: change, recordsGrantTimes: true)
        loop.run(&queueManager, until: change + phase)
        expectSentBytes(loop.sentBytes[0], bytesPerSecond: newRate, over: phase)
        // The rest of the wait was rescaled to the new rate. The wait began up to one slot (1024 ns)
        // after the last grant, which may have been served that much early.
        let nextGrant = try #require(loop.grantTimes?[0].first)
        let shortestWait = (oldInterval - oldInterval / 2) * oldRate / newRate
        let longestWait = (oldInterval - oldInterval / 2 + 1024) * oldRate / newRate
        #expect(nextGrant + 1024 >= change + shortestWait && nextGrant <= change + longestWait + 1024)
    }

    @Test func switchingBetweenLimitedAndUnlimitedMovesTheFlow() {
        var queueManager = QueueManager(capacity: 2)
        queueManager.setRate(flow: 0, bytesPerSecond: 1000, now: PacingClock.start)
        queueManager.add(flow: 0, bytes: 100_000, now: PacingClock.start)
        let limitedGrants = drainGrants(&queueManager, now: PacingClock.start)

        queueManager.setRate(flow: 0, bytesPerSecond: QueueManager.unlimitedRate, now: PacingClock.start)
        let dueWhenUnlimited = queueManager.earliestDueTime
        let unlimitedGrants = drainGrants(&queueManager, now: PacingClock.start, limit: 10)

        queueManager.setRate(flow: 0, bytesPerSecond: 1_448_000, now: PacingClock.start)  // 1 ms per chunk
        let grantsAtSwitch = drainGrants(&queueManager, now: PacingClock.start)
        let grantsOneIntervalLater = drainGrants(&queueManager, now: PacingClock.start + PacingClock.millisecond)
        let rate = queueManager.rate(of: 0)
        #expect(limitedGrants.count == 1)
        #expect(dueWhenUnlimited == 0)
        #expect(unlimitedGrants.count == 10)
        #expect(grantsAtSwitch.count == 1)
        #expect(grantsOneIntervalLater.count == 1)
        #expect(rate == 1_448_000)
    }

    @Test func dueRateLimitedFlowsAreNotStarvedByUnlimitedOnes() {
        var queueManager = QueueManager(capacity: 4)
        let rate: UInt64 = 125_000_000
        queueManager.setRate(flow: 0, bytesPerSecond: rate, now: PacingClock.start)
        for flow: FlowIndex in 0..<4 {
            queueManager.add(flow: flow, bytes: VirtualTransmitLoop.backlogRefill, now: PacingClock.start)
        }
        // A transmit loop with a budget of four chunks per microsecond.
        var sent = [UInt64](repeating: 0, count: 4)
        let duration = 10 * PacingClock.millisecond
        for microsecond in 0..<(duration / 1000) {
            let now = PacingClock.start + microsecond * 1000
            for grant in drainGrants(&queueManager, now: now, limit: 4) { sent[Int(grant.flow)] += UInt64(grant.bytes) }
        }
        expectSentBytes(sent[0], bytesPerSecond: rate, over: duration)
        let unlimited = sent[1...]
        #expect(unlimited.max()! - unlimited.min()! <= UInt64(VirtualTransmitLoop.chunk))
    }
}
