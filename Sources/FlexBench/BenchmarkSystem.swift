import FlexTCPCore
import Synchronization

/// A system under test: a transport and its hosts (FlexTCP on the in-memory wire, Linux TCP on
/// loopback, either over veth between test hosts, …) that runs any `WorkloadSpec`.
///
/// Contract: `run` builds everything the run needs (hosts, stacks, sockets, namespaces), runs one
/// server and one client worker thread (pinned with `CPUPlacement`) that each call
/// `control.arrive` after their setup and then follow a `WorkerTimeline`, joins them, tears
/// everything down on every exit path, and returns one report per worker. It throws a
/// `BenchmarkFailure` with words for the user when something could not be set up or a worker failed.
public protocol BenchmarkSystem: Sendable {
    /// The name in results: `flextcp-…` or `linux-…`.
    var name: String { get }
    /// The systems this one is compared with in tables, the best of them per metric (empty: it is a
    /// baseline).
    var baselineNames: [String] { get }
    /// One line on what runs where, for the report.
    var summary: String { get }
    /// Whether the system needs root (network namespaces, AF_PACKET).
    var needsRoot: Bool { get }
    /// The MTU (largest IP packet) of the path the system's segments take; nil when it cannot be known.
    var mtu: Int? { get }
    /// Whether the system runs only when named, never in `--compare`'s default set (e.g. it starts a service).
    var runsOnlyWhenNamed: Bool { get }
    func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport]
    /// Why the system cannot run `spec` here (a workload it does not support, a kernel feature
    /// refused), in words; nil if it can.
    func unavailableReason(for spec: WorkloadSpec) -> String?
}

extension BenchmarkSystem {
    public func unavailableReason(for spec: WorkloadSpec) -> String? { nil }
    public var runsOnlyWhenNamed: Bool { false }
}

/// Why a benchmark run failed, in words.
public struct BenchmarkFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs the server and client worker bodies of one run on two pinned threads and collects their
/// reports. A body that throws fails the run (`control.fail`) so the other stops too.
public enum WorkerThreads {
    public typealias Body = @Sendable (_ cpu: Int?) throws -> WorkerReport

    public static func run(server: @escaping Body, client: @escaping Body, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        let reports = ReportSlots()
        var threads: [JoinableThread] = []
        for (index, role, body) in [(0, WorkerRole.server, server), (1, WorkerRole.client, client)] {
            do {
                threads.append(try JoinableThread {
                    let cpu = CPUPlacement.cpu(for: role)
                    let pinned = CPUPlacement.pinCurrentThread(to: cpu) ? cpu : nil
                    do {
                        reports.store(try body(pinned), at: index)
                    } catch {
                        control.fail("\(role.rawValue): \(error)")
                    }
                })
            } catch {
                control.fail("cannot start a worker thread (error \(error.code))")
            }
        }
        for thread in threads { thread.join() }
        if let failure = control.failure { throw BenchmarkFailure(failure) }
        let collected = reports.all
        guard collected.count == 2 else { throw BenchmarkFailure("a worker ended without a report") }
        return collected
    }
}

/// The server's and the client's report, written by the worker threads.
private final class ReportSlots: Sendable {
    private let slots = Mutex<[WorkerReport?]>([nil, nil])
    func store(_ report: WorkerReport, at index: Int) { slots.withLock { $0[index] = report } }
    var all: [WorkerReport] { slots.withLock { $0.compactMap { $0 } } }
}
