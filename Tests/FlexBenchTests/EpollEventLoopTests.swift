@testable import FlexBench
import Glibc
import Testing

/// The Linux event loop's error policy, driven alone (one worker) against sockets the test controls.
@Suite(.serialized) struct EpollEventLoopTests {
    /// A one-worker run with no warm-up: counting starts at once.
    static func timeline(duration: UInt64) throws -> WorkerTimeline {
        let control = RunControl(warmup: 0, duration: duration, workerCount: 1)
        let window = try #require(control.arrive())
        return WorkerTimeline(window: window, control: control)
    }

    /// An address nothing listens on: a port the kernel handed out, closed again.
    static func closedPort() throws -> IPv4Endpoint {
        let (listener, bound) = try LinuxSocket.listen(on: IPv4Endpoint("127.0.0.1")!)
        close(listener)
        return bound
    }

    @Test func refusedConnectsThrowAfterTheRetryTime() throws {
        let endpoint = WorkloadEndpoint(spec: WorkloadSpec(workload: .echo), role: .client)
        let loop = try EpollEventLoop(endpoint: endpoint, connectRetry: 50_000_000)
        defer { loop.closeAll() }
        var timeline = try Self.timeline(duration: 2_000_000_000)
        let target = try Self.closedPort()
        #expect {
            try loop.connect(to: target, count: 1)
            try loop.run(&timeline)
        } throws: { error in
            (error as? BenchmarkFailure)?.description.contains("connect to \(target) failed: Connection refused") == true
        }
    }

    @Test func refusedReconnectsCountErrorsAndKeepTrying() throws {
        let endpoint = WorkloadEndpoint(spec: WorkloadSpec(workload: .churn), role: .client)
        let loop = try EpollEventLoop(endpoint: endpoint, connectRetry: 20_000_000)
        defer { loop.closeAll() }
        var timeline = try Self.timeline(duration: 200_000_000)
        try loop.connect(to: try Self.closedPort(), count: 2)
        try loop.run(&timeline)
        let report = timeline.report(endpoint: endpoint, cpu: nil)
        #expect(report.metrics.errors > 1)
        #expect(report.metrics.messages == 0)
    }

    @Test func resetByThePeerCountsOneErrorAndTheLoopGoesOn() throws {
        let endpoint = WorkloadEndpoint(spec: WorkloadSpec(workload: .echo, size: 100), role: .server)
        let loop = try EpollEventLoop(endpoint: endpoint)
        defer { loop.closeAll() }
        let (listener, bound) = try LinuxSocket.listen(on: IPv4Endpoint("127.0.0.1")!)
        try loop.serve(listener: listener)
        // A hostile client: connects, sends half a message, and aborts the connection (RST).
        let peer = try LinuxSocket.makeStreamSocket()
        #expect(LinuxSocket.startConnect(peer, to: bound) == 0)
        var code: Int32 = 0
        for _ in 0..<1000 where code == 0 {
            var probe = pollfd(fd: peer, events: Int16(POLLOUT), revents: 0)
            if poll(&probe, 1, 1) == 1 { break }
            code = LinuxSocket.pendingError(peer)
        }
        #expect(code == 0)
        let half = [UInt8](repeating: 7, count: 50)
        #expect(half.withUnsafeBytes { send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == 50)
        var abort = linger(l_onoff: 1, l_linger: 0)
        #expect(setsockopt(peer, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size)) == 0)
        close(peer)
        var timeline = try Self.timeline(duration: 200_000_000)
        try loop.run(&timeline)
        let report = timeline.report(endpoint: endpoint, cpu: nil)
        #expect(report.metrics.errors == 1)
        #expect(report.metrics.messages == 0)
        #expect(report.measuredSeconds > 0)
    }
}
