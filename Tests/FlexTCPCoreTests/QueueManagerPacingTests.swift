import FlexPort
import FlexTCPCore
import Testing

/// Plays the fast path's transmit loop against a queue manager in virtual time: at each step it
/// takes every grant due at `now`, sends each in full, keeps the granted flows backlogged when asked
/// to, and then jumps to the next due time the queue manager reports.
struct VirtualTransmitLoop {
    static let chunk: UInt32 = 1448
    static let backlogRefill: UInt32 = 1 << 31

    var now: UInt64
    var sentBytes: [UInt64]
    /// Times of every grant per flow, when recording.
    var grantTimes: [[UInt64]]?
    var wakeups = 0

    init(flowCount: Int, start: UInt64, recordsGrantTimes: Bool = false) {
        now = start
        sentBytes = Array(repeating: 0, count: flowCount)
        grantTimes = recordsGrantTimes ? Array(repeating: [], count: flowCount) : nil
    }

    /// Runs until virtual time reaches `end` or nothing is queued (then `now` becomes `end`).
    mutating func run(
        _ queueManager: inout QueueManager, until end: UInt64, keepBacklogged: Bool = true,
        grantLimit: Int = 20_000_000
    ) {
        var grants = 0
        while now < end {
            while grants < grantLimit, let grant = queueManager.nextTransmission(now: now, maximumBytes: Self.chunk) {
                grants += 1
                sentBytes[Int(grant.flow)] += UInt64(grant.bytes)
                grantTimes?[Int(grant.flow)].append(now)
                queueManager.completeTransmission(flow: grant.flow, sentBytes: grant.bytes, isBlocked: false, now: now)
                if keepBacklogged && queueManager.availableBytes(of: grant.flow) < UInt64(Self.backlogRefill) {
                    queueManager.add(flow: grant.flow, bytes: Self.backlogRefill, now: now)
                }
            }
            #expect(grants < grantLimit, "transmit loop did not settle")
            guard grants < grantLimit, let due = queueManager.earliestDueTime else {
                now = max(now, end)
                return
            }
            #expect(due > now, "nothing was handed out at \(now) although \(due) was reported due")
            now = max(due, now + 1)
            wakeups += 1
        }
    }
}

/// Expects `sent` bytes to be within `tolerance` (relative) of `bytesPerSecond` sustained for `nanoseconds`.
func expectSentBytes(
    _ sent: UInt64, bytesPerSecond: UInt64, over nanoseconds: UInt64, tolerance: Double = 0.02,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let expected = Double(bytesPerSecond) * Double(nanoseconds) / 1e9
    let error = abs(Double(sent) - expected) / expected
    #expect(error <= tolerance, "sent \(sent) bytes, expected \(expected)", sourceLocation: sourceLocation)
}

/// Virtual times for the queue manager tests, in nanoseconds.
enum PacingClock {
    /// A start far from zero, like a monotonic clock some days after boot.
    static let start: UInt64 = 7_000_000_000_000
    static let second: UInt64 = 1_000_000_000
    static let millisecond: UInt64 = 1_000_000
}

@Suite struct QueueManagerPacingTests {
    @Test(arguments: [10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000, 40_000_000_000] as [UInt64])
    func singleFlowIsPacedAtItsRate(bitsPerSecond: UInt64) {
        var queueManager = QueueManager(capacity: 4)
        queueManager.setRate(flow: 2, bytesPerSecond: bitsPerSecond / 8, now: PacingClock.start)
        queueManager.add(flow: 2, bytes: VirtualTransmitLoop.backlogRefill, now: PacingClock.start)
        var loop = VirtualTransmitLoop(flowCount: 4, start: PacingClock.start)
        loop.run(&queueManager, until: PacingClock.start + PacingClock.second)
        expectSentBytes(loop.sentBytes[2], bytesPerSecond: bitsPerSecond / 8, over: PacingClock.second)
        #expect(loop.sentBytes[0] + loop.sentBytes[1] + loop.sentBytes[3] == 0)
    }

    @Test func twoLimitedFlowsEachGetTheirRate() {
        var queueManager = QueueManager(capacity: 2)
        let rates: [UInt64] = [125_000_000, 375_000_000]  // 1 and 3 Gbit/s
        for flow in 0..<2 {
            queueManager.setRate(flow: FlowIndex(flow), bytesPerSecond: rates[flow], now: PacingClock.start)
            queueManager.add(flow: FlowIndex(flow), bytes: VirtualTransmitLoop.backlogRefill, now: PacingClock.start)
        }
        var loop = VirtualTransmitLoop(flowCount: 2, start: PacingClock.start)
        loop.run(&queueManager, until: PacingClock.start + 100 * PacingClock.millisecond)
        for flow in 0..<2 {
            expectSentBytes(loop.sentBytes[flow], bytesPerSecond: rates[flow], over: 100 * PacingClock.millisecond)
        }
    }

    @Test func tenThousandFlowsWithRandomRatesStayWithinTolerance() {
        let flowCount = 10_000
        var random = SeededRandom(seed: 0x5EED_0001)
        var queueManager = QueueManager(capacity: flowCount)
        var rates: [UInt64] = []
        for flow in 0..<flowCount {
            let bitsPerSecond = UInt64.random(in: 10_000_000...50_000_000, using: &random)
            rates.append(bitsPerSecond / 8)
            queueManager.setRate(flow: FlowIndex(flow), bytesPerSecond: bitsPerSecond / 8, now: PacingClock.start)
            queueManager.add(flow: FlowIndex(flow), bytes: VirtualTransmitLoop.backlogRefill, now: PacingClock.start)
        }
        var loop = VirtualTransmitLoop(flowCount: flowCount, start: PacingClock.start)
        loop.run(&queueManager, until: PacingClock.start + 100 * PacingClock.millisecond)
        for flow in 0..<flowCount {
            expectSentBytes(loop.sentBytes[flow], bytesPerSecond: rates[flow], over: 100 * PacingClock.millisecond)
        }
    }

    /// 1000 B/s leaves 1.448 s between chunks, far beyond the 4.2 ms horizon: the flow is parked in
    /// the horizon slot and re-slotted about once per horizon, never sent early.
    @Test func flowsBeyondTheHorizonWaitForTheirTime() throws {
        var queueManager = QueueManager(capacity: 2)
        let slowRate: UInt64 = 1000
        queueManager.setRate(flow: 1, bytesPerSecond: slowRate, now: PacingClock.start)
        queueManager.add(flow: 1, bytes: VirtualTransmitLoop.backlogRefill, now: PacingClock.start)
        var loop = VirtualTransmitLoop(flowCount: 2, start: PacingClock.start, recordsGrantTimes: true)
        let duration = 20 * PacingClock.second
        loop.run(&queueManager, until: PacingClock.start + duration)

        let times = try #require(loop.grantTimes?[1])
        let interval = UInt64(VirtualTransmitLoop.chunk) * PacingClock.second / slowRate
        #expect(times.count == Int(duration / interval) + 1)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later - earlier >= interval - 1024)
            #expect(later - earlier <= interval + 1024)
        }
        let horizon: UInt64 = 4096 << 10
        #expect(loop.wakeups <= Int(duration / horizon) + times.count + 2)
    }

    @Test func aLongPauseOfTheTransmitLoopEarnsAtMostOneExtraChunk() {
        var queueManager = QueueManager(capacity: 2)
        let rate: UInt64 = 10_000  // 144.8 ms per chunk: beyond the horizon
        queueManager.setRate(flow: 0, bytesPerSecond: rate, now: PacingClock.start)
        queueManager.add(flow: 0, bytes: VirtualTransmitLoop.backlogRefill, now: PacingClock.start)
        var loop = VirtualTransmitLoop(flowCount: 2, start: PacingClock.start)
        loop.run(&queueManager, until: PacingClock.start + 1)  // one grant at the start
        #expect(loop.sentBytes[0] == UInt64(VirtualTransmitLoop.chunk))

        // The loop sleeps for ten seconds instead of waking at the reported times.
        let late = PacingClock.start + 10 * PacingClock.second
        var grantsWhenLate = 0
        while let grant = queueManager.nextTransmission(now: late, maximumBytes: VirtualTransmitLoop.chunk) {
            grantsWhenLate += 1
            queueManager.completeTransmission(flow: grant.flow, sentBytes: grant.bytes, isBlocked: false, now: late)
        }
        #expect(grantsWhenLate == 2)  // the overdue chunk and one made up, not ten seconds' worth
        let due = queueManager.earliestDueTime ?? 0
        #expect(due > late && due <= late + 145 * PacingClock.millisecond)
    }
}
