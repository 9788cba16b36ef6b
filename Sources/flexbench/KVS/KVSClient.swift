#if canImport(Glibc)
import Glibc
#endif

/// A closed-loop memcached text client on Linux sockets: `connections` connections to
/// `address`:`port` (host byte order; loopback, or a test host's), each with one request outstanding, drawn from the workload; records each
/// request's latency (send to complete reply) during the measured window.
///
/// Contract: one thread; `load` stores every key first (pipelined on one connection), `run` drives
/// the mix for warm-up and then for the measured window and returns what it measured.
final class KVSClient {
    struct Measurement {
        var requests = 0
        var latencies: [UInt32] = []
        var seconds = 0.0
    }

    private let workload: KVSWorkload
    private let port: UInt16
    private let address: UInt32
    private var random: UInt64 = 0x9E37_79B9_7F4A_7C15

    init(workload: KVSWorkload, address: UInt32, port: UInt16) {
        self.workload = workload
        self.address = address
        self.port = port
    }

    /// Stores every key once, 500 requests per batch on one connection.
    func load() throws(KVSBenchmarkError) {
        let socket = try Self.connect(address: address, port: port)
        defer { close(socket) }
        var index = 0
        while index < workload.keyCount {
            let batch = min(500, workload.keyCount - index)
            var requests: [UInt8] = []
            for key in index..<(index + batch) { requests += workload.setRequest(key) }
            try Self.sendAll(requests, on: socket)
            var stored = 0
            var buffer = [UInt8](repeating: 0, count: 65536)
            while stored < batch {
                let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { throw KVSBenchmarkError("the server closed while loading keys") }
                stored += buffer[0..<count].filter { $0 == UInt8(ascii: "\n") }.count
            }
            index += batch
        }
    }

    /// Runs the mix for `warmUp` seconds unmeasured, then `duration` seconds measured;
    /// `measurementStarts` is called as the measured window opens.
    func run(connections: Int, warmUp: Double, duration: Double, measurementStarts: () -> Void) throws(KVSBenchmarkError) -> Measurement {
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        for _ in 0..<connections { sockets.append(try Self.connect(address: address, port: port)) }
        var pending = [(expectGet: Bool, started: UInt64, received: [UInt8])](repeating: (false, 0, []), count: connections)
        var polls = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let start = Self.now()
        let measureFrom = start + UInt64(warmUp * 1e9)
        let end = measureFrom + UInt64(duration * 1e9)
        var measurement = Measurement()
        measurement.latencies.reserveCapacity(1 << 20)
        for index in sockets.indices { pending[index] = try issue(on: sockets[index]) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var measuring = false
        while Self.now() < end {
            if !measuring && Self.now() >= measureFrom {
                measuring = true
                measurementStarts()
            }
            guard poll(&polls, nfds_t(polls.count), 100) >= 0 else { throw KVSBenchmarkError("poll: \(String(cString: strerror(errno)))") }
            for index in polls.indices where polls[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { recv(sockets[index], $0.baseAddress, $0.count, 0) }
                guard count > 0 else { throw KVSBenchmarkError("the server closed a connection") }
                pending[index].received += buffer[0..<count]
                guard Self.isComplete(pending[index].received, get: pending[index].expectGet) else { continue }
                let finished = Self.now()
                if pending[index].started >= measureFrom && finished <= end {
                    measurement.requests += 1
                    measurement.latencies.append(UInt32(clamping: finished - pending[index].started))
                }
                pending[index] = try issue(on: sockets[index])
            }
        }
        measurement.seconds = duration
        return measurement
    }

    /// Sends the next request of the mix; returns what its reply looks like.
    private func issue(on socket: Int32) throws(KVSBenchmarkError) -> (Bool, UInt64, [UInt8]) {
        let rank = workload.rank(for: nextDraw())
        let isGet = nextDraw() < workload.getFraction
        let started = Self.now()
        try Self.sendAll(isGet ? workload.getRequest(rank) : workload.setRequest(rank), on: socket)
        return (isGet, started, [])
    }

    /// A GET's reply ends with "END\r\n", a SET's with "\r\n" (STORED).
    private static func isComplete(_ reply: [UInt8], get: Bool) -> Bool {
        get ? reply.count >= 5 && reply.suffix(5).elementsEqual("END\r\n".utf8) : reply.last == UInt8(ascii: "\n")
    }

    /// A uniform draw in [0, 1) (xorshift64*).
    private func nextDraw() -> Double {
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        return Double((random &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53)
    }

    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    static func connect(address host: UInt32, port: UInt16) throws(KVSBenchmarkError) -> Int32 {
        for _ in 0..<500 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = host.bigEndian
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if result == 0 {
                var one: Int32 = 1
                setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return descriptor
            }
            close(descriptor)
            usleep(10_000)
        }
        throw KVSBenchmarkError("cannot connect to \(host >> 24).\((host >> 16) & 255).\((host >> 8) & 255).\(host & 255):\(port)")
    }

    static func sendAll(_ bytes: [UInt8], on socket: Int32) throws(KVSBenchmarkError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw KVSBenchmarkError("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }
}

/// Why the key-value benchmark could not run.
struct KVSBenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
