import FlexPort
import FlexTCPCore
import FlexWire

/// How the FlexTCP systems build their two embedded stacks for a workload: addresses in
/// 198.18.61.0/24 (a subnet no test uses), the server's port, ring sizes and flow slots sized for
/// the workload, a short TIME_WAIT, and the congestion control.
///
/// Contract: `configuration(for:role:)` is a pure function of the specification; the payload
/// region it implies (`flowCapacity` × both rings) stays below `regionLimit` bytes per stack.
/// Churn gets `churnFlowReserve` extra flow slots for connections being set up and torn down; a
/// connection in TIME_WAIT holds no slot (a record of the slow path's, 4 per flow slot, holds its
/// 4-tuple: `churnFlowReserve × 4 / timeWaitDuration` connections per second, ~3.3 million/s,
/// before the earliest records are evicted).
struct FlexTCPBenchmarkStack: Sendable {
    static let clientInterface = "198.18.61.1/24"
    static let serverInterface = "198.18.61.2/24"
    static let serverAddress = IPv4Address(198, 18, 61, 2)
    static let serverPort: UInt16 = 5201
    /// TIME_WAIT of the benchmark stacks (the default is 60 s): only the client closes first, and a
    /// churning client would otherwise keep a TIME_WAIT record per connection for a minute (and
    /// evict the earliest beyond the records' bound).
    static let timeWaitDuration: UInt64 = 5_000_000
    /// The slow path examines the flows the fast path reports changed once per millisecond, not on
    /// every poll of the busy-polling loop (timers start up to 1 ms late; idle connections cost nothing).
    static let changeExaminationInterval: UInt64 = 1_000_000
    static let churnFlowReserve = 4096
    /// Flow slots beyond the workload's connections (stragglers, setup).
    static let flowSlack = 16
    static let regionLimit = 128 << 20

    /// The congestion control of both stacks (`off` for comparison: flows are limited by the peer's
    /// window only).
    var congestionControl: BenchmarkCongestionControl = .systemsDefault
    /// The flow-table hash key of both stacks; nil: random per stack, as in production. Fixed
    /// where instruction counts must repeat from run to run (`InterleavedRun`).
    var flowTableKey: FlowKeyHasher?

    /// Congestion control and limits in words, for the systems' summaries.
    var congestionControlDescription: String { congestionControl.description }
    static let limitsDescription = "slow-path timers from deadline heaps, changed flows examined every "
        + "\(changeExaminationInterval / 1_000_000) ms (no connection scan); "
        + "TIME_WAIT \(timeWaitDuration / 1_000_000) ms (not 60 s), "
        + "flow slots = connections + \(flowSlack) (churn: + \(churnFlowReserve); TIME_WAIT holds a record, not a slot)"

    /// The stack configuration for one side of `spec`.
    func configuration(for spec: WorkloadSpec, role: WorkerRole) throws(NetworkConfigurationError) -> StackConfiguration {
        var configuration = StackConfiguration(interface: try InterfaceAddress(role == .server ? Self.serverInterface : Self.clientInterface))
        configuration.flowCapacity = Self.flowCapacity(for: spec)
        configuration.backlog = max(128, spec.connections)
        configuration.slowPath.synQueueCapacity = max(128, spec.connections)
        configuration.timeWaitDuration = Self.timeWaitDuration
        configuration.slowPath.changeExaminationInterval = Self.changeExaminationInterval
        configuration.slowPath.congestionControl = congestionControl.algorithm
        configuration.flowTableKey = flowTableKey
        let ringSize = Self.ringSize(for: spec)
        configuration.receiveRingSize = ringSize
        configuration.transmitRingSize = ringSize
        return configuration
    }

    static func flowCapacity(for spec: WorkloadSpec) -> Int {
        spec.connections + (spec.workload == .churn ? churnFlowReserve : flowSlack)
    }

    /// Room for twice what a connection keeps in flight (64 KiB at least, 256 KiB for streams, 4 KiB
    /// for churn's one request), a multiple of 4 KiB, shrunk until the region fits `regionLimit`.
    static func ringSize(for spec: WorkloadSpec) -> UInt32 {
        let page = 4096
        let wanted: Int = switch spec.workload {
        case .churn: max(page, 2 * spec.size)
        case .echo: max(64 << 10, 2 * spec.pipeline * spec.size)
        case .serverReceive, .serverSend, .bulk: max(256 << 10, 2 * spec.pipeline * spec.size)
        }
        let fitting = regionLimit / (2 * flowCapacity(for: spec))
        let size = max(page, min(wanted, fitting, 16 << 20))
        return UInt32((size + page - 1) / page * page)
    }

    /// Context queue slots for `spec`: room for an event per connection in each round (the
    /// library keeps what does not fit, so this is for speed, not correctness).
    static func contextCapacities(for spec: WorkloadSpec) -> ContextQueueCapacities {
        func slots(_ minimum: Int, _ wanted: Int) -> Int { 1 << (Int.bitWidth - (max(minimum, wanted) - 1).leadingZeroBitCount) }
        return ContextQueueCapacities(receiveEntries: slots(256, 2 * spec.connections), transmitEntries: slots(256, 2 * spec.connections),
                                      requestEntries: slots(64, spec.connections + flowSlack),
                                      eventEntries: slots(64, spec.connections + flowSlack))
    }

    /// Builds this side's stack on `port` and runs the worker loop of `path` on the calling thread;
    /// with `countsKicks` the report carries the port's kernel kicks in the measured interval.
    func runWorker(_ spec: WorkloadSpec, role: WorkerRole, port: any Port, path: FlexTCPApplicationPath, control: RunControl,
                   cpu: Int?, countsKicks: Bool = false) throws(BenchmarkFailure) -> WorkerReport {
        let kicks: (() -> UInt64)? = countsKicks ? { port.statistics.transmitKicks } : nil
        switch try makeWorker(spec, role: role, port: port, path: path) {
        case .runToCompletion(let worker): return try worker.run(control: control, cpu: cpu, transmitKicks: kicks)
        case .contexts(let worker): return try worker.run(control: control, cpu: cpu, transmitKicks: kicks)
        }
    }

    /// This side's stack on `port` and its worker for `path`.
    func makeWorker(_ spec: WorkloadSpec, role: WorkerRole, port: any Port,
                    path: FlexTCPApplicationPath) throws(BenchmarkFailure) -> FlexTCPWorkerKind {
        let configuration: StackConfiguration
        do {
            configuration = try self.configuration(for: spec, role: role)
        } catch {
            throw BenchmarkFailure("cannot configure the \(role.rawValue) stack: \(error)")
        }
        let endpoint = WorkloadEndpoint(spec: spec, role: role)
        switch path {
        case .runToCompletion:
            do {
                return .runToCompletion(FlexTCPWorker(stack: try Stack(port: port, configuration: configuration), endpoint: endpoint))
            } catch {
                throw BenchmarkFailure("cannot build the \(role.rawValue) stack: \(error)")
            }
        case .contexts:
            do {
                let runtime = try StackRuntime(port: port, configuration: configuration, contextCount: 1,
                                               capacities: Self.contextCapacities(for: spec), schedule: .callerDriven)
                return .contexts(try FlexTCPContextWorker(runtime: runtime, endpoint: endpoint, flowCapacity: configuration.flowCapacity))
            } catch {
                throw BenchmarkFailure("cannot attach a context to the \(role.rawValue) runtime: \(error)")
            }
        }
    }
}

/// A worker of either path, by its concrete type (so each loop is specialised, not dispatched).
enum FlexTCPWorkerKind {
    case runToCompletion(FlexTCPWorker)
    case contexts(FlexTCPContextWorker)

    var worker: any SteppedWorker {
        switch self {
        case .runToCompletion(let worker): worker
        case .contexts(let worker): worker
        }
    }
}

/// Whether the FlexTCP benchmark systems run congestion control (`flexbench … --congestion-control`).
public enum BenchmarkCongestionControl: String, Sendable, CaseIterable {
    /// Rate-based DCTCP without a line-rate cap (neither wire has a line rate to cap at).
    case dctcp
    /// None: flows are limited by the peer's window only.
    case off

    /// What the benchmark systems run unless told otherwise: DCTCP, as a data-center stack runs it
    /// (on a lossless wire it paces no flow after slow start: README, "DCTCP cost").
    public static let systemsDefault = BenchmarkCongestionControl.dctcp

    /// The stacks' algorithm (nil: none).
    var algorithm: (any CongestionControlAlgorithm)? {
        self == .off ? nil : try? DCTCPConfiguration(maximumRateBytesPerSecond: RateBounds.largestBytesPerSecond)
    }

    /// In words, for the systems' summaries.
    var description: String {
        switch self {
        case .dctcp: "DCTCP on (rate-based, no line-rate cap)"
        case .off: "no congestion control (unpaced)"
        }
    }
}

/// How a FlexTCP benchmark system's workload reaches its stack.
public enum FlexTCPApplicationPath: String, Sendable, CaseIterable {
    /// Through the `FlexTCP` library: a `StackRuntime` stepped by the worker's thread and one
    /// `Context` (context queues, ring spans), as applications use it.
    case contexts
    /// The embedded `Stack` driven directly (flow indexes, bytes copied in and out of the rings),
    /// run to completion in one loop: the floor the library path is measured against.
    case runToCompletion

    /// The system name's infix: `flextcp-memory`, `flextcp-rtc-memory`.
    var nameInfix: String { self == .contexts ? "" : "rtc-" }

    /// How the workload reaches the stack, in words, for the systems' summaries.
    var summary: String {
        switch self {
        case .contexts: "the workload uses the FlexTCP library (one context; the runtime stepped by the same thread)"
        case .runToCompletion: "the workload drives the embedded stack directly (run to completion, no context queues)"
        }
    }
}
