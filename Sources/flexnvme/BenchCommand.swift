import ArgumentParser
import FlexNVMe
import FlexTCPTools
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `flexnvme bench`: random or sequential reads or writes at a queue depth; prints IOPS, GB/s, p50 and
/// p99 latency per I/O, and CPU time per I/O (host and self-target apart when they run on threads of
/// their own). Prints figures, never passes or fails.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure reads or writes against namespace 1.")

    enum Pattern: String, ExpressibleByArgument, CaseIterable { case randread, randwrite, read, write }

    @OptionGroup var host: HostCommandOptions
    @Option(help: "randread, randwrite, read (sequential) or write.") var pattern: Pattern = .randread
    @Option(help: "Bytes per I/O (whole blocks).") var size = 4096
    @Option(help: "I/Os to run.") var count = 100_000
    @Option(help: "Seed of the random offsets.") var seed: UInt64 = 1
    @Option(help: "Run a RAM target of this many MiB in this process (loopback for linux, an in-memory wire for flextcp) instead of --address.")
    var selfTarget: Int?
    @Flag(help: "With --self-target and --transport flextcp: serve the target on the host's thread (both sides on one core, no wake-ups; for per-core cost and callgrind).")
    var oneThread = false

    func validate() throws {
        if oneThread && (selfTarget == nil || host.transport.transport != .flextcp) {
            throw ValidationError("--one-thread needs --self-target and --transport flextcp")
        }
    }

    func run() throws {
        let label = host.transport.label
        try host.withHost(selfTargetMiB: selfTarget, oneThread: oneThread) { host in
            let blocksPerIO = max(1, size / host.blockSize)
            let slots = max(1, Int(host.blockCount) / blocksPerIO)
            let inFlight = host.ioQueues.count * (host.options.queueDepth - 1)
            let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: inFlight * blocksPerIO * host.blockSize, alignment: 4096)
            defer { buffers.deallocate() }
            buffers.initializeMemory(as: UInt8.self, repeating: 0x5A)
            var random = SeededByteStream(seed: seed)
            var requests: [BlockIO] = []
            for index in 0..<count {
                let slot: Int
                if pattern == .randread || pattern == .randwrite {
                    var word: UInt64 = 0
                    withUnsafeMutableBytes(of: &word) { random.fill($0) }
                    slot = Int(word % UInt64(slots))
                } else {
                    slot = index % slots
                }
                let bytes = blocksPerIO * host.blockSize
                let buffer = UnsafeMutableRawBufferPointer(rebasing: buffers[(index % inFlight) * bytes..<((index % inFlight) + 1) * bytes])
                requests.append(BlockIO(pattern == .randread || pattern == .read ? .read : .write, lba: UInt64(slot * blocksPerIO), buffer: buffer))
            }
            var measurement = BenchMeasurement(requests: count)
            measurement.start()
            let statuses = try host.run(requests, finished: { index, _ in measurement.finished(index) }, submitted: { measurement.submitted($0) })
            measurement.stop()
            let failed = statuses.filter { !$0.isSuccess }.count
            let bytes = blocksPerIO * host.blockSize
            let perIO = { (seconds: Double) in seconds / Double(count) * 1e6 }
            let cpu: String
            if oneThread {
                cpu = String(format: "CPU %.2f µs per I/O (both sides, one thread)", perIO(measurement.hostCPUSeconds))
            } else if selfTarget != nil {
                cpu = String(format: "CPU per I/O: host %.2f µs, target %.2f µs", perIO(measurement.hostCPUSeconds), perIO(measurement.targetCPUSeconds))
            } else {
                cpu = String(format: "host CPU %.2f µs per I/O", perIO(measurement.hostCPUSeconds))
            }
            print(String(format: "%@, %@, %@ %d B × %d, %d queues × QD %d: %.0f IOPS, %.3f GB/s, latency p50 %.1f µs p99 %.1f µs, %@, %d failed",
                         label, digestLabel(host.options), pattern.rawValue, bytes, count, host.ioQueues.count,
                         host.options.queueDepth - 1, Double(count) / measurement.seconds, Double(count * bytes) / measurement.seconds / 1e9,
                         measurement.latency.microseconds(atPercentile: 50), measurement.latency.microseconds(atPercentile: 99), cpu, failed))
        }
    }

    private func digestLabel(_ options: HostOptions) -> String {
        switch (options.headerDigest, options.dataDigest) {
        case (false, false): "no digests"
        case (true, true): "digests"
        case (true, false): "header digest"
        case (false, true): "data digest"
        }
    }
}
