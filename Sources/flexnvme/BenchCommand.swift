import ArgumentParser
import FlexNVMe
import FlexTCPTools
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `flexnvme bench`: random or sequential reads or writes at a queue depth; prints IOPS, GB/s and
/// the host's CPU time per I/O. Prints figures, never passes or fails.
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
            let cpuBefore = cpuSeconds()
            let started = ContinuousClock.now
            let statuses = try host.run(requests)
            let elapsed = ContinuousClock.now - started
            let cpu = cpuSeconds() - cpuBefore
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let failed = statuses.filter { !$0.isSuccess }.count
            let totalBytes = Double(count * blocksPerIO * host.blockSize)
            print(String(format: "%@, %@ %d B × %d, %d queues × QD %d: %.0f IOPS, %.3f GB/s, host CPU %.2f µs per I/O, %d failed",
                         host.options.dataDigest ? "digests" : "no digests", pattern.rawValue, blocksPerIO * host.blockSize, count, host.ioQueues.count, host.options.queueDepth - 1,
                         Double(count) / seconds, totalBytes / seconds / 1e9, cpu / Double(count) * 1e6, failed))
        }
    }

    /// User plus system CPU seconds of this process.
    private func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
