/// The workloads of the FlexTCP evaluation, each run the same way on every system.
///
/// - `echo`: closed-loop RPC; each client connection keeps `pipeline` requests of `size` bytes in
///   flight, the server echoes every byte, the client measures each round trip.
/// - `serverReceive`: pipelined one-way RPC; clients stream requests, the server only receives
///   (spending `delayCycles` per message).
/// - `serverSend`: pipelined one-way RPC the other way; the server streams messages (spending
///   `delayCycles` per message it produces), clients only receive.
/// - `bulk`: a byte stream from client to server, reported in Gbit/s (`size` is the write unit).
/// - `churn`: connect, one request/response, close — connections per second.
public enum Workload: String, CaseIterable, Sendable, Codable {
    case echo
    case serverReceive = "server-receive"
    case serverSend = "server-send"
    case bulk
    case churn

    /// Whether clients measure a latency per message (round trip or connection lifetime).
    public var measuresLatency: Bool { self == .echo || self == .churn }

    /// Which side counts the completed messages the throughput is computed from.
    public var countingRole: WorkerRole {
        switch self {
        case .echo, .serverSend, .churn: .client
        case .serverReceive, .bulk: .server
        }
    }
}

/// Which side of a workload a worker thread runs.
public enum WorkerRole: String, Sendable, Codable {
    case server
    case client
}

/// One workload with its parameters.
///
/// Contract: `validate()` accepts exactly the specifications every system can run; systems may
/// assume a validated specification.
public struct WorkloadSpec: Sendable, Equatable {
    public var workload: Workload
    /// Concurrent connections (for `churn`: connections kept in progress at once).
    public var connections: Int
    /// Bytes per message (per write for `bulk`).
    public var size: Int
    /// Requests in flight per connection (`echo`); messages queued ahead (one-way workloads).
    public var pipeline: Int
    /// CPU cycles the server spends per message (one-way workloads and `echo`).
    public var delayCycles: UInt64

    public init(workload: Workload, connections: Int = 1, size: Int = 64, pipeline: Int = 1, delayCycles: UInt64 = 0) {
        self.workload = workload
        self.connections = connections
        self.size = size
        self.pipeline = pipeline
        self.delayCycles = delayCycles
    }

    /// The largest values `validate()` accepts.
    public static let connectionLimit = 4096
    public static let sizeLimit = 1 << 20
    public static let pipelineLimit = 1024
    public static let delayLimit: UInt64 = 100_000_000

    /// Throws a message naming the first out-of-range parameter.
    public func validate() throws(WorkloadSpecError) {
        guard (1...Self.connectionLimit).contains(connections) else {
            throw WorkloadSpecError("connections must be 1...\(Self.connectionLimit), not \(connections)")
        }
        guard (1...Self.sizeLimit).contains(size) else { throw WorkloadSpecError("size must be 1...\(Self.sizeLimit) bytes, not \(size)") }
        guard (1...Self.pipelineLimit).contains(pipeline) else {
            throw WorkloadSpecError("pipeline must be 1...\(Self.pipelineLimit), not \(pipeline)")
        }
        guard delayCycles <= Self.delayLimit else { throw WorkloadSpecError("delay must be at most \(Self.delayLimit) cycles") }
        guard pipeline * size <= 16 << 20 else { throw WorkloadSpecError("pipeline × size must be at most 16 MiB") }
    }
}

/// A workload specification that no system can run, in words.
public struct WorkloadSpecError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
