import FlexPort

/// In-memory wire frame rate on one thread: each round reserves and commits a batch of 32 64-byte
/// frames on endpoint a, then receives and releases them on endpoint b. Million frames per second.
///
/// Every frame is written (template copy and stamp) and read back (stamp and length); the stamps feed
/// the returned value. Every round must deliver its whole batch, or the run stops with an error (a
/// figure with lost frames would be meaningless).
struct MemoryWireOneThreadBenchmark: MicroBenchmark {
    let name = "memory-wire/one-thread/batch32/64B"
    let metric = BenchmarkMetric.rate(operation: "frame")
    private let wire = MemoryWireTraffic.makeWire()
    private let transmitBatch = FrameBatch(capacity: MemoryWireTraffic.batchSize)
    private let receiveBatch = FrameBatch(capacity: MemoryWireTraffic.batchSize)
    private var stamp: UInt32 = 0

    mutating func run(iterations: Int) -> UInt64 {
        let sender = wire.a, receiver = wire.b, transmitBatch = transmitBatch, receiveBatch = receiveBatch
        var stamp = stamp
        var folded: UInt64 = 0
        var remaining = iterations
        MemoryWireTraffic.template.withUnsafeBytes { template in
            while remaining > 0 {
                let count = min(MemoryWireTraffic.batchSize, remaining)
                let reserved = sender.reserveTransmit(into: transmitBatch, count: count)
                MemoryWireTraffic.fill(transmitBatch, from: template.baseAddress!, stamp: &stamp)
                let sent = sender.commitTransmit(transmitBatch)
                let received = receiver.receive(into: receiveBatch)
                folded &+= MemoryWireTraffic.fold(receiveBatch)
                receiver.releaseReceived(receiveBatch)
                precondition(reserved == count && sent == count && received == count,
                             "the in-memory wire lost frames within one round")
                remaining &-= count
            }
        }
        self.stamp = stamp
        return folded
    }
}
