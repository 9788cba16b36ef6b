#if canImport(Glibc)
import Glibc
#endif

/// A closed-loop memcached text client over any `KVSClientTransport` (the same code drives Linux
/// sockets and FlexTCP): each connection has one request outstanding, drawn from the workload;
/// records each request's latency (send to complete reply) during the measured window.
///
/// Contract: one thread; `load` stores every key first (pipelined on connection 0), `run` drives
/// the mix for warm-up and then for the measured window and returns what it measured.
final class KVSClient<Transport: KVSClientTransport> {
    /// One connection's outstanding request: what its reply ends with, when it was sent, and the
    /// last bytes of its reply so far (newest in the low byte).
    private struct Pending {
        var expectGet = false
        var started: UInt64 = 0
        var tail: UInt64 = 0
    }

    private let workload: KVSWorkload
    private let transport: Transport
    private var random: UInt64 = 0x9E37_79B9_7F4A_7C15
    /// "END\r\n" as the low five bytes of a tail.
    private static var endLine: UInt64 { 0x45_4E_44_0D_0A }

    init(workload: KVSWorkload, transport: Transport) {
        self.workload = workload
        self.transport = transport
    }

    /// Stores every key once, 500 requests per batch on connection 0.
    func load() throws(KVSBenchmarkError) {
        var index = 0
        while index < workload.keyCount {
            let batch = min(500, workload.keyCount - index)
            var requests: [UInt8] = []
            for key in index..<(index + batch) { requests += workload.setRequest(key) }
            try transport.send(requests, on: 0)
            var stored = 0
            while stored < batch {
                try transport.poll(timeoutMilliseconds: 100) { _, bytes in stored += bytes.count { $0 == UInt8(ascii: "\n") } }
            }
            index += batch
        }
    }

    /// Runs the mix for `warmUp` seconds unmeasured, then `duration` seconds measured, or until
    /// `requestLimit` requests completed in all (the fixed work an instruction count needs);
    /// `measurementStarts` is called as the measured window opens.
    func run(warmUp: Double, duration: Double, requestLimit: Int = .max,
             measurementStarts: () -> Void) throws(KVSBenchmarkError) -> KVSMeasurement {
        var pending = [Pending](repeating: Pending(), count: transport.connectionCount)
        let start = MonotonicClock.now()
        let measureFrom = start + UInt64(warmUp * 1e9)
        let end = measureFrom + UInt64(duration * 1e9)
        var measurement = KVSMeasurement()
        measurement.latencies.reserveCapacity(1 << 22)
        for index in pending.indices { pending[index] = try issue(on: index) }
        var measuring = false
        var completed: [Int] = []
        var completedInAll = 0
        while completedInAll < requestLimit {
            let now = MonotonicClock.now()
            if now >= end { break }
            if !measuring && now >= measureFrom {
                measuring = true
                measurementStarts()
            }
            try transport.poll(timeoutMilliseconds: 100) { index, bytes in
                guard !bytes.isEmpty else { return }
                var tail = pending[index].tail
                for byte in bytes.suffix(5) { tail = tail << 8 | UInt64(byte) }
                pending[index].tail = tail
                let complete = pending[index].expectGet ? tail & 0xFF_FFFF_FFFF == Self.endLine : bytes.last == UInt8(ascii: "\n")
                if complete { completed.append(index) }
            }
            guard !completed.isEmpty else { continue }
            let finished = MonotonicClock.now()
            completedInAll += completed.count
            for index in completed {
                if pending[index].started >= measureFrom && finished <= end {
                    measurement.requests += 1
                    measurement.latencies.append(UInt32(clamping: finished - pending[index].started))
                }
                pending[index] = try issue(on: index)
            }
            completed.removeAll(keepingCapacity: true)
        }
        measurement.seconds = duration
        return measurement
    }

    /// Sends the next request of the mix on `connection`; returns what its reply looks like.
    private func issue(on connection: Int) throws(KVSBenchmarkError) -> Pending {
        let rank = workload.rank(for: nextDraw())
        let isGet = nextDraw() < workload.getFraction
        let started = MonotonicClock.now()
        try transport.send(isGet ? workload.getRequest(rank) : workload.setRequest(rank), on: connection)
        return Pending(expectGet: isGet, started: started)
    }

    /// A uniform draw in [0, 1) (xorshift64*).
    private func nextDraw() -> Double {
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        return Double((random &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53)
    }

}

/// The monotonic clock in nanoseconds, for the key-value benchmark's timings.
enum MonotonicClock {
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// What one client run measured: completed requests in the window, their latencies (ns) and the window's length.
struct KVSMeasurement {
    var requests = 0
    var latencies: [UInt32] = []
    var seconds = 0.0
}

/// Why the key-value benchmark could not run.
struct KVSBenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
