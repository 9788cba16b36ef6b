@testable import FlexBench
import FlexTCPCore
import Synchronization
import Testing

@Suite struct RunControlTests {
    @Test func barrierReleasesAllWorkersWithTheSameWindow() throws {
        let control = RunControl(warmup: 1_000_000, duration: 2_000_000, workerCount: 3)
        let windows = Mutex<[MeasurementWindow?]>([])
        let threads = try (0..<3).map { _ in
            try JoinableThread { let window = control.arrive(); windows.withLock { $0.append(window) } }
        }
        threads.forEach { $0.join() }
        let all = windows.withLock { $0 }
        #expect(all.count == 3)
        #expect(Set(all.compactMap { $0?.start }).count == 1)
        #expect(all.allSatisfy { $0.map { $0.end - $0.start } == 2_000_000 })
    }

    @Test func aFailureReleasesWaitersAndKeepsTheFirstMessage() throws {
        let control = RunControl(warmup: 0, duration: 1, workerCount: 2)
        let waiter = try JoinableThread { #expect(control.arrive() == nil) }
        control.fail("first")
        control.fail("second")
        waiter.join()
        #expect(control.failure == "first")
    }

    @Test func barrierGivesUpAfterTheSetupTimeout() {
        let control = RunControl(warmup: 0, duration: 1, workerCount: 2, setupTimeout: 5_000_000)
        #expect(control.arrive() == nil)
        #expect(control.failure?.contains("did not get ready") == true)
    }

    @Test func timelineResetsCountsWhenMeasuringStartsAndStopsAtTheEnd() {
        let control = RunControl(warmup: 0, duration: 1, workerCount: 1)
        let endpoint = WorkloadEndpoint(spec: WorkloadSpec(workload: .echo), role: .client)
        var timeline = WorkerTimeline(window: MeasurementWindow(start: 100, end: 200), control: control)
        endpoint.metrics.messages = 5
        let beforeWindow = timeline.advance(now: 50, endpoint: endpoint)
        #expect(beforeWindow)
        #expect(endpoint.metrics.messages == 5)
        #expect(timeline.nextBoundary == 100)
        let atStart = timeline.advance(now: 100, endpoint: endpoint)
        #expect(atStart)
        #expect(endpoint.metrics.messages == 0)
        #expect(timeline.nextBoundary == 200)
        endpoint.metrics.messages = 7
        let afterEnd = timeline.advance(now: 210, endpoint: endpoint)
        #expect(!afterEnd)
        endpoint.metrics.errors = 1
        let report = timeline.report(endpoint: endpoint, cpu: 1)
        #expect(report.metrics.messages == 7)
        #expect(report.metrics.errors == 0, "counted after the window ended")
        #expect(report.measuredSeconds == 110e-9)
        #expect(report.cpu == 1)
    }

    @Test func timelineCountsOnlyTheKernelKicksOfTheMeasuredWindow() {
        let control = RunControl(warmup: 0, duration: 1, workerCount: 1)
        let endpoint = WorkloadEndpoint(spec: WorkloadSpec(workload: .echo), role: .client)
        let kicks = Counter()
        var timeline = WorkerTimeline(window: MeasurementWindow(start: 100, end: 200), control: control, transmitKicks: { kicks.value })
        kicks.value = 30
        _ = timeline.advance(now: 100, endpoint: endpoint)
        kicks.value = 75
        _ = timeline.advance(now: 200, endpoint: endpoint)
        kicks.value = 90
        #expect(timeline.report(endpoint: endpoint, cpu: nil).transmitKicks == 45)
        let uncounted = WorkerTimeline(window: MeasurementWindow(start: 100, end: 200), control: control)
        #expect(uncounted.report(endpoint: endpoint, cpu: nil).transmitKicks == nil)
    }

    /// A kick counter the test moves by hand.
    private final class Counter {
        var value: UInt64 = 0
    }

    @Test func aWorkerThatMissesTheWholeWindowFailsTheRun() {
        let control = RunControl(warmup: 0, duration: 1, workerCount: 1)
        let endpoint = WorkloadEndpoint(spec: WorkloadSpec(workload: .echo), role: .client)
        var timeline = WorkerTimeline(window: MeasurementWindow(start: 100, end: 200), control: control)
        let running = timeline.advance(now: 300, endpoint: endpoint)
        #expect(!running)
        #expect(control.failure?.contains("after the measured window") == true)
    }
}
