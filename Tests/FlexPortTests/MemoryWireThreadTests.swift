import FlexPort
import Foundation
import Testing

@Suite struct MemoryWireThreadTests {
    /// One producer thread and one consumer thread move a million frames through a small ring; the
    /// producer only sends what fits (no overflow), so every frame must arrive, once, in order.
    @Test func millionFramesArriveInOrderAcrossThreads() async throws {
        let frameCount: UInt32 = 1_000_000
        let wire = try MemoryWire(capacity: 256, overflowCapacity: 0)
        let sender = wire.a
        let receiver = wire.b
        let outcome = ThreadResult((received: UInt32(0), outOfOrder: 0, timeouts: 0))
        await runOnThreads([
            {
                let batch = FrameBatch(capacity: 32)
                var next: UInt32 = 0
                while next < frameCount {
                    let reserved = sender.reserveTransmit(into: batch, count: Int(min(32, frameCount - next)))
                    if reserved == 0 { sched_yield(); continue }
                    for index in 0..<reserved {
                        var slot = batch[index]
                        slot.bytes.storeBytes(of: (next &+ UInt32(index)).bigEndian, toByteOffset: 14, as: UInt32.self)
                        slot.length = 60
                        batch[index] = slot
                    }
                    next &+= UInt32(sender.commitTransmit(batch))
                }
            },
            {
                let batch = FrameBatch(capacity: 64)
                var expected: UInt32 = 0
                var outOfOrder = 0
                var timeouts = 0
                // Bounded: gives up after 20 consecutive 100 ms waits without a frame.
                while expected < frameCount && timeouts < 20 {
                    if receiver.receive(into: batch) == 0 {
                        timeouts = receiver.waitForFrames(timeoutNanoseconds: 100_000_000) ? 0 : timeouts + 1
                        continue
                    }
                    timeouts = 0
                    for index in 0..<batch.count {
                        if sequence(of: batch[index].bytes) != expected { outOfOrder += 1 }
                        expected &+= 1
                    }
                    receiver.releaseReceived(batch)
                }
                outcome.value = (expected, outOfOrder, timeouts)
            },
        ])
        #expect(outcome.value.received == frameCount)
        #expect(outcome.value.outOfOrder == 0)
        #expect(wire.a.statistics.transmittedFrames == UInt64(frameCount))
        #expect(wire.a.statistics.transmitDrops == 0)
        #expect(wire.b.statistics.receivedFrames == UInt64(frameCount))
    }

    /// Ping-pong: each side sleeps in `waitForFrames` until the other answers. The peer always
    /// answers, so a wait that runs out its (long) timeout can only be a lost wake-up.
    @Test func pingPongNeverLosesAWakeUp() async throws {
        let rounds = 5_000
        let wire = try MemoryWire(capacity: 4)
        let timeoutNanoseconds: Int64 = 10_000_000_000
        let pinger = ThreadResult((completed: 0, timedOut: 0))
        let ponger = ThreadResult((completed: 0, timedOut: 0))

        @Sendable func play(_ port: MemoryWireEndpoint, serves: Bool, result: ThreadResult<(completed: Int, timedOut: Int)>) {
            let batch = FrameBatch(capacity: 4)
            var completed = 0
            var timedOut = 0
            if serves { _ = port.transmit(sequencedFrame(0)) }
            while completed < rounds && timedOut == 0 {
                if !port.waitForFrames(timeoutNanoseconds: timeoutNanoseconds) { timedOut += 1; continue }
                let received = port.receive(into: batch)
                port.releaseReceived(batch)
                for _ in 0..<received {
                    completed += 1
                    if serves && completed == rounds { break }
                    _ = port.transmit(sequencedFrame(UInt32(completed)))
                }
            }
            result.value = (completed, timedOut)
        }

        await runOnThreads([
            { play(wire.a, serves: true, result: pinger) },
            { play(wire.b, serves: false, result: ponger) },
        ])
        #expect(pinger.value.timedOut == 0)
        #expect(ponger.value.timedOut == 0)
        #expect(pinger.value.completed == rounds)
        #expect(ponger.value.completed == rounds)
    }
}
