import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTCPTools
import FlexTestSupport
import Testing

/// SACK loss recovery (RFC 6675) when the slow path runs on a thread of its own: the peer's SACK
/// blocks reach the slow path's scoreboard through the flow snapshots and its retransmissions go
/// back as commands, so only the holes are sent again. Both runtime threads are stepped on the
/// test's thread in virtual time (`StackRuntime.stepThreadRounds`), so every run is the same.
@Suite("SACK loss recovery with a separate slow path")
struct SeparateSlowPathRecoveryTests {
    /// The sender's runtime (A, separate slow path) sends `count` bytes to a sink on B (caller-driven)
    /// over a wire that drops `loss` of the frames each way.
    private struct LossyTransfer {
        let link: TestWire
        let sender: StackRuntime
        let delivered: [StreamReport]
        let sent: [Result<StreamReport, SendFailure>?]

        init(loss: Double, seed: UInt64, count: UInt64) throws {
            var impairment = LinkEmulatorSettings()
            impairment.dropProbability = loss
            impairment.propagationDelayNanoseconds = 20_000
            impairment.seed = seed
            let link = try TestWire(impairment: impairment)
            var configuration = try TestRuntimes.configuration(TestWire.interfaceA)
            configuration.slowPath.minimumRetransmissionTimeout = 5 * TestWire.millisecond
            let sender = try StackRuntime(port: link.portA, configuration: configuration, contextCount: 1, schedule: .separateSlowPath)
            let receiver = try TestRuntimes.make(port: link.portB, interface: TestWire.interfaceB, contextCount: 1)
            let sink = SinkService(context: try Context(attachment: receiver.attachment(for: 0)), port: 5001)
            var reports: [StreamReport] = []
            var client: SendClient?
            /// Rounds of both runtimes and their applications, 100 µs of virtual time apart, until `done`.
            func run(until done: () -> Bool) -> Bool {
                link.run(step: 100_000, maximumRounds: 200_000, until: done) { now in
                    _ = sender.stepThreadRounds(now: now)
                    _ = client?.step()
                    _ = receiver.step(now: now)
                    sink.step()
                    sink.drainReports { reports.append($0) }
                    return true
                }
            }
            #expect(run(until: { sink.listenerStatus != nil }))
            let started = SendClient(context: try Context(attachment: sender.attachment(for: 0)), to: TestWire.addressB, port: 5001,
                                     bytesPerConnection: count, connections: 1, seed: seed, verifiesEcho: false)
            client = started
            #expect(run(until: { started.isFinished && !reports.isEmpty }))
            (self.link, self.sender, delivered, sent) = (link, sender, reports, started.outcomes)
        }

        /// Frames A's end of the link dropped.
        var droppedBySender: UInt64 { (link.portA as? LinkEmulator)?.emulatorStatistics.droppedByLoss ?? 0 }
    }

    @Test("1% loss each way: the stream arrives intact; only the holes are retransmitted (at most 1.5× the frames A's link dropped), no timeout",
          arguments: [1, 2, 3, 4, 5] as [UInt64])
    func holesOnly(seed: UInt64) throws {
        let transfer = try LossyTransfer(loss: 0.01, seed: seed, count: 2_000_000)
        let sent = try #require(transfer.sent.first ?? nil)
        guard case .success(let report) = sent else { Issue.record("send failed: \(sent)"); return }
        #expect(transfer.delivered.map(\.sha256) == [report.sha256] && report.bytes == 2_000_000)
        let counters = transfer.sender.slowPathCounters
        let retransmitted = transfer.sender.fastPath.segmentsRetransmitted
        let dropped = transfer.droppedBySender
        #expect(dropped > 0 && counters.selectiveRecoveries > 0 && counters.selectiveRetransmissions > 0)
        #expect(Double(retransmitted) <= 1.5 * Double(dropped), "retransmitted \(retransmitted) for \(dropped) dropped")
        #expect(counters.retransmissionTimeouts == 0)
    }
}
