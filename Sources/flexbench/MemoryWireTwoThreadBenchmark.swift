import FlexPort
import Foundation

/// In-memory wire frame rate between two threads: the calling thread reserves and commits batches of
/// 32 64-byte frames on endpoint a while a consumer thread receives and releases them on endpoint b.
/// Million frames per second. Threads are not pinned to CPUs (the name says so).
///
/// The sender yields the CPU while the ring is full; the receiver polls, and after 64 empty polls
/// sleeps in `waitForFrames` (the port's wake-up path). The consumer thread is started per run, outside
/// the per-frame loops. Both sides fold what they write and read into the returned value. If no frame
/// arrives for a second the run stops with an error (the sender cannot drop, so frames were lost).
struct MemoryWireTwoThreadBenchmark: MicroBenchmark {
    let name = "memory-wire/two-threads-unpinned/batch32/64B"
    let metric = BenchmarkMetric.rate(operation: "frame")
    private let wire = MemoryWireTraffic.makeWire()
    private let transmitBatch = FrameBatch(capacity: MemoryWireTraffic.batchSize)
    private var stamp: UInt32 = 0

    mutating func run(iterations: Int) -> UInt64 {
        let receiver = wire.b
        let consumed = ConsumerResult()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            consumed.folded = Self.receive(iterations, from: receiver)
            finished.signal()
        }.start()
        let produced = send(iterations)
        finished.wait()
        return produced &+ consumed.folded
    }

    /// Sends `count` frames on endpoint a, yielding while the ring is full.
    private mutating func send(_ count: Int) -> UInt64 {
        let sender = wire.a, batch = transmitBatch
        var stamp = stamp
        var folded: UInt64 = 0
        var remaining = count
        MemoryWireTraffic.template.withUnsafeBytes { template in
            while remaining > 0 {
                let reserved = sender.reserveTransmit(into: batch, count: min(MemoryWireTraffic.batchSize, remaining))
                guard reserved > 0 else {
                    sched_yield()
                    continue
                }
                MemoryWireTraffic.fill(batch, from: template.baseAddress!, stamp: &stamp)
                let sent = sender.commitTransmit(batch)
                folded &+= UInt64(sent)
                remaining &-= sent
            }
        }
        self.stamp = stamp
        return folded
    }

    /// Receives `count` frames on `receiver`; runs on the consumer thread.
    private static func receive(_ count: Int, from receiver: MemoryWireEndpoint) -> UInt64 {
        let batch = FrameBatch(capacity: MemoryWireTraffic.batchSize)
        var folded: UInt64 = 0
        var remaining = count
        var emptyPolls = 0
        while remaining > 0 {
            let received = receiver.receive(into: batch)
            guard received > 0 else {
                emptyPolls &+= 1
                if emptyPolls >= 64 {
                    emptyPolls = 0
                    if !receiver.waitForFrames(timeoutNanoseconds: 1_000_000_000) {
                        fatalError("flexbench: the in-memory wire delivered nothing for 1 s with \(remaining) frames due")
                    }
                }
                continue
            }
            emptyPolls = 0
            folded &+= MemoryWireTraffic.fold(batch)
            receiver.releaseReceived(batch)
            remaining &-= received
        }
        return folded
    }
}

/// What the consumer thread hands back to the benchmark.
private final class ConsumerResult: @unchecked Sendable {
    // Sendable: written only by the consumer thread before it signals the semaphore the benchmark
    // waits on, and read only after that wait, which orders the write before the read.
    var folded: UInt64 = 0
}
