@testable import FlexBench
import Foundation
import Glibc
import Testing

/// The Linux loopback baselines added beside sleeping epoll across cores: both ends on one core,
/// busy-polling across cores, io_uring on one core. Each runs the 64 B echo at one and at several
/// connections: every echoed message must carry the stamp it was sent with (a mismatch counts an
/// error), the client must receive exactly the bytes of the messages it completed (plus at most
/// one message in flight per connection), and server and client must agree on the count.
@Suite(.serialized) struct LoopbackBaselineTests {
    /// Whether this kernel lets the process use io_uring (a container's seccomp filter may not).
    static let ioURingAvailable = URingLoopbackPair.unavailableReason() == nil
    static let newBaselines = ["linux-one-core", "linux-busy-poll"] + (ioURingAvailable ? ["linux-io-uring"] : [])

    @Test(arguments: newBaselines, [1, 16])
    func echoesEveryMessage(name: String, connections: Int) throws {
        let system = try #require(SystemCatalog.system(named: name))
        #expect(system.unavailableReason(for: WorkloadSpec(workload: .echo)) == nil)
        let spec = WorkloadSpec(workload: .echo, connections: connections, size: 64)
        let reports = try system.run(spec, control: SystemRuns.control())
        let server = try #require(reports.first { $0.role == .server }).metrics
        let client = try #require(reports.first { $0.role == .client }).metrics
        let result = RunResult(system: name, spec: spec, repetition: 0, reports: reports)
        try SystemRuns.expectHealthy(result)
        #expect(client.messages > 100, "\(name) completed only \(client.messages) round trips in 1.5 s")
        let inFlight = UInt64(connections * 64)
        #expect(client.bytes >= client.messages * 64 && client.bytes < client.messages * 64 + inFlight)
        let slack = UInt64(connections) + client.messages / 50
        #expect(server.messages + slack >= client.messages && client.messages + slack >= server.messages)
    }

    @Test func oneCoreRunsEveryWorkloadOnOneCPU() throws {
        let system = LinuxOneCoreSystem()
        for spec in [WorkloadSpec(workload: .churn, connections: 4), WorkloadSpec(workload: .bulk, size: 65536)] {
            let result = try SystemRuns.run(system, spec)
            try SystemRuns.expectHealthy(result)
            #expect(Set(result.pinnedCPUs).count == 1)
        }
    }

    @Test(.enabled(if: ioURingAvailable, "the kernel refuses io_uring here"))
    func ioURingRunsOneWayAndBulkButNotChurn() throws {
        let system = LinuxIOURingSystem()
        try SystemRuns.expectHealthy(try SystemRuns.run(system, WorkloadSpec(workload: .serverReceive, connections: 2, size: 100, pipeline: 4)))
        try SystemRuns.expectHealthy(try SystemRuns.run(system, WorkloadSpec(workload: .bulk, size: 65536)))
        let churn = WorkloadSpec(workload: .churn)
        #expect(system.unavailableReason(for: churn)?.contains("not churn") == true)
        #expect { _ = try system.run(churn, control: SystemRuns.control()) } throws: { error in
            (error as? BenchmarkFailure)?.description.contains("not churn") == true
        }
    }
}

/// The cross-core round trip every run records.
@Suite struct CoreRoundTripTests {
    @Test func roundTripsBelow250NanosecondsAreNear() {
        #expect(CoreRoundTrip.classify(105) == .near)
        #expect(CoreRoundTrip.classify(249.9) == .near)
        #expect(CoreRoundTrip.classify(250) == .far)
        #expect(CoreRoundTrip.classify(490) == .far)
        #expect(CoreRoundTrip(nanoseconds: 131.4).description == "near (131 ns)")
    }

    @Test(.enabled(if: CPUPlacement.availableCPUs >= 2, "needs two CPUs"))
    func measuringTwoCPUsGivesAPlausibleRoundTrip() throws {
        let trip = try #require(CoreRoundTrip.measure(batches: 5, perBatch: 50))
        // A round trip is at least a few ns and, even on a loaded machine, the fastest batch is not
        // one long preemption.
        #expect(trip.nanoseconds > 5 && trip.nanoseconds < 1_000_000)
    }

    @Test func jsonRecordsTheRoundTripAndItsState() throws {
        var result = RunResult(system: "s", spec: WorkloadSpec(workload: .bulk), repetition: 0, reports: [])
        result.coreRoundTrip = CoreRoundTrip(nanoseconds: 480)
        let data = try JSONEncoder().encode([result])
        let objects = try #require(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(objects[0]["core_round_trip_ns"] as? Double == 480)
        #expect(objects[0]["core_state"] as? String == "far")
        #expect(try JSONDecoder().decode([RunResult].self, from: data) == [result])
    }

    @Test func tableSaysTheStateOfItsRuns() {
        func run(_ system: String, _ nanoseconds: Double?) -> RunResult {
            var result = RunResult(system: system, spec: WorkloadSpec(workload: .echo), repetition: 0, reports: [])
            result.coreRoundTrip = nanoseconds.map(CoreRoundTrip.init(nanoseconds:))
            return result
        }
        let table = ComparisonTable(results: [run("a", 120), run("a", 140), run("b", 120), run("b", 480), run("c", nil)], baselines: [:])
        #expect(table.rows.map(\.coreState) == ["near", "mixed", "-"])
        #expect(table.rows[0].coreRoundTrip == 130)
        #expect(table.text.contains("130 ns near"))
    }
}

/// The runner measures the cross-core round trip before every run and records it with that run.
@Suite struct RunnerRecordsCoresTests {
    /// A system that completes at once with fixed figures.
    struct InstantSystem: BenchmarkSystem {
        let name: String
        let baselineNames: [String] = []
        let summary = "instant"
        let needsRoot = false
        let mtu: Int? = nil
        func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
            var metrics = EndpointMetrics()
            metrics.messages = 10
            return [WorkerRole.server, .client].map { WorkerReport(role: $0, cpu: 0, cpuSeconds: 1, measuredSeconds: 1, metrics: metrics) }
        }
    }

    @Test func everyRunCarriesTheRoundTripMeasuredJustBeforeIt() throws {
        var measured: [Double] = []
        let results = try WorkloadRunner.run(WorkloadSpec(workload: .serverReceive), on: [InstantSystem(name: "a"), InstantSystem(name: "b")],
                                             plan: RunPlan(warmup: 0, duration: 1, repetitions: 2), measureCores: {
            measured.append(100 + 200 * Double(measured.count))
            return CoreRoundTrip(nanoseconds: measured.last!)
        })
        #expect(results.map(\.system) == ["a", "b", "a", "b"])
        #expect(results.map { $0.coreRoundTrip?.nanoseconds } == [100, 300, 500, 700])
        #expect(results.map { $0.coreRoundTrip?.state } == [.near, .far, .far, .far])
    }
}
