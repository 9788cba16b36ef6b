import FlexPort
import FlexTCPCore
import FlexWire

/// The TCP half of `flextcp demo`: two stacks on an in-memory wire in one process, each served by a
/// runtime with one context (the `FlexTCP` library); A opens `connections` connections to B's sink
/// and sends `bytesPerConnection` seeded bytes on each; B hashes what it reads. Both runtimes and
/// both applications are stepped by the calling thread in real time.
///
/// Contract: returns when every connection finished on both sides or `deadline` nanoseconds passed;
/// `everyStreamVerified` is true only if each sent stream's length and SHA-256 equal one received
/// stream's. Allocates per run, not per frame.
public enum TransferDemo {
    public struct Report: Sendable {
        public var sent: [StreamReport] = []
        public var received: [StreamReport] = []
        public var failures: [SendFailure] = []
        /// Connections still running at the deadline.
        public var unfinished = 0
        public var nanoseconds: UInt64 = 0

        /// Every connection completed, and the multiset of (bytes, SHA-256) sent equals the one received.
        public var everyStreamVerified: Bool {
            failures.isEmpty && unfinished == 0 && !sent.isEmpty && sent.count == received.count
                && sent.map { "\($0.bytes) \($0.sha256)" }.sorted() == received.map { "\($0.bytes) \($0.sha256)" }.sorted()
        }

        public var gigabitsPerSecond: Double {
            Double(received.reduce(0) { $0 + $1.bytes }) * 8 / Double(max(nanoseconds, 1))
        }
    }

    public static let addressA = IPv4Address(198, 18, 0, 1)
    public static let addressB = IPv4Address(198, 18, 0, 2)
    static let port: UInt16 = 5001

    public static func run(connections: Int, bytesPerConnection: UInt64, seed: UInt64, deadline: UInt64 = 60_000_000_000) throws -> Report {
        let wire = try MemoryWire(capacity: 4096, maximumFrameLength: 1514)
        let sender = try RuntimeLoop(port: wire.a, configuration: configuration(addressA, connections: connections))
        let receiver = try RuntimeLoop(port: wire.b, configuration: configuration(addressB, connections: connections))
        let sink = SinkService(context: try receiver.makeContext(), port: port)
        let client = SendClient(context: try sender.makeContext(), to: addressB, port: port, bytesPerConnection: bytesPerConnection,
                                connections: connections, seed: seed, verifiesEcho: false)
        let clock = MonotonicTimeSource()
        let start = clock.now()
        var report = Report()
        while clock.now() - start < deadline {
            let now = clock.now()
            _ = sender.runtime.step(now: now)
            _ = receiver.runtime.step(now: now)
            client.step()
            sink.step()
            sink.drainReports { report.received.append($0) }
            if client.isFinished && report.received.count + sink.failedConnections >= connections { break }
        }
        report.nanoseconds = clock.now() - start
        for outcome in client.outcomes {
            switch outcome {
            case .success(let stream): report.sent.append(stream)
            case .failure(let failure): report.failures.append(failure)
            case nil: report.unfinished += 1
            }
        }
        return report
    }

    private static func configuration(_ address: IPv4Address, connections: Int) throws -> StackConfiguration {
        var configuration = StackConfiguration(interface: try InterfaceAddress(address: address, prefixLength: 24))
        configuration.flowCapacity = max(2 * connections, 16)
        configuration.receiveRingSize = 256 * 1024
        configuration.transmitRingSize = 256 * 1024
        return configuration
    }
}
