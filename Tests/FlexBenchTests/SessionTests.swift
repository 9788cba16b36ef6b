@testable import FlexBench
import Testing

@Suite struct SessionTests {
    @Test(arguments: [(64, 1), (100, 4), (3, 2), (1500, 8), (8, 1)])
    func echoRoundTripsEveryRequestInOrder(size: Int, pipeline: Int) {
        let pipe = SessionPipe(spec: WorkloadSpec(workload: .echo, size: size, pipeline: pipeline), seed: UInt64(size * 31 + pipeline))
        for round in 0..<20_000 { pipe.step(now: UInt64(round) * 1000) }
        #expect(pipe.clientMetrics.messages > 10)
        #expect(pipe.clientMetrics.errors == 0)
        #expect(pipe.serverMetrics.errors == 0)
        // The server counted every request whose echo the client received, plus those in flight.
        #expect(pipe.serverMetrics.messages >= pipe.clientMetrics.messages)
        #expect(pipe.serverMetrics.messages <= pipe.clientMetrics.messages + UInt64(pipeline))
        #expect(pipe.clientMetrics.latency.count == pipe.clientMetrics.messages)
        #expect(pipe.clientMetrics.latency.microseconds(atPercentile: 50) > 0)
    }

    @Test func corruptedEchoIsCountedAsAnError() {
        let pipe = SessionPipe(spec: WorkloadSpec(workload: .echo, size: 16, pipeline: 1), seed: 7, maximumChunk: 5)
        // The stamp of the fourth response.
        pipe.corruptedClientByte = 3 * 16 + 2
        for round in 0..<2000 { pipe.step(now: UInt64(round)) }
        #expect(pipe.clientMetrics.messages > 10)
        #expect(pipe.clientMetrics.errors == 1)
    }

    @Test(arguments: [Workload.serverReceive, .bulk])
    func clientStreamsAndServerCountsMessages(workload: Workload) {
        let pipe = SessionPipe(spec: WorkloadSpec(workload: workload, size: 50), seed: 3, maximumChunk: 4000)
        for round in 0..<5000 { pipe.step(now: UInt64(round)) }
        #expect(pipe.serverMetrics.messages > 1000)
        #expect(pipe.serverMetrics.bytes >= pipe.serverMetrics.messages * 50)
        #expect(pipe.serverMetrics.errors == 0)
        #expect(pipe.clientMetrics.messages == 0)
    }

    @Test func serverSendStreamsToTheClient() {
        let pipe = SessionPipe(spec: WorkloadSpec(workload: .serverSend, size: 33), seed: 5, maximumChunk: 2000)
        for round in 0..<5000 { pipe.step(now: UInt64(round)) }
        #expect(pipe.clientMetrics.messages > 1000)
        #expect(pipe.clientMetrics.errors == 0)
        #expect(pipe.serverMetrics.errors == 0)
    }

    @Test func churnClientClosesAfterOneResponseAndTimesTheConnection() {
        let pipe = SessionPipe(spec: WorkloadSpec(workload: .churn, size: 64), seed: 11)
        var round: UInt64 = 0
        while !pipe.client.shouldClose && round < 1000 {
            round += 1
            pipe.step(now: round * 500)
        }
        #expect(pipe.client.shouldClose)
        #expect(pipe.clientMetrics.messages == 1)
        #expect(pipe.clientMetrics.errors == 0)
        #expect(pipe.clientMetrics.latency.count == 1)
        #expect(pipe.client.endpoint.reconnects)
        #expect(!pipe.server.shouldClose)
        pipe.server.peerFinished()
        #expect(pipe.server.shouldClose)
        #expect(pipe.serverMetrics.errors == 0)
    }

    @Test func clientSeeingAnEarlyEndOfStreamCountsAnError() {
        let endpoint = WorkloadEndpoint(spec: WorkloadSpec(workload: .echo), role: .client)
        let session = endpoint.makeSession(now: 0)
        session.opened(now: 0)
        session.peerFinished()
        #expect(session.shouldClose)
        #expect(endpoint.metrics.errors == 1)
    }

    @Test func echoServerTakesNoMoreThanItCanEcho() {
        let endpoint = WorkloadEndpoint(spec: WorkloadSpec(workload: .echo, size: 10, pipeline: 3), role: .server)
        let session = endpoint.makeSession(now: 0)
        #expect(session.receiveLimit == 30)
        let bytes = [UInt8](repeating: 1, count: 25)
        bytes.withUnsafeBytes { session.received($0, now: 0) }
        #expect(session.receiveLimit == 5)
        #expect(session.pending.count == 25)
        session.sent(25, now: 0)
        #expect(session.receiveLimit == 30)
        #expect(endpoint.metrics.messages == 2)
    }
}
