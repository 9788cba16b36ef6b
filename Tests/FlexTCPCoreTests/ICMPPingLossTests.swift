import FlexTCPCore
import FlexTCPTools
import Testing

private func lossyOptions(seed: UInt64) -> PingDemoOptions {
    var options = PingDemoOptions()
    options.clock = .virtual
    options.count = 100
    options.interval = 10_000_000
    options.timeout = 50_000_000
    options.oneWayDelay = 30_000
    options.lossProbability = 0.2
    options.seed = seed
    return options
}

@Suite struct ICMPPingLossTests {
    @Test("over a link losing 20% each way, every request ends as a reply or a timeout, and losses are counted")
    func countsLosses() throws {
        let report = try PingDemo.run(lossyOptions(seed: 11))
        let timeouts = report.events.filter { if case .echoRequestTimedOut = $0 { true } else { false } }
        #expect(report.requestsSent == 100)
        #expect(report.replies.count + timeouts.count == 100)
        #expect(report.lost == timeouts.count)
        #expect(UInt64(report.lost) == report.statisticsA.echoRequestsTimedOut)
        // Each ping survives two 20% losses with probability 0.64: about 36 lost; the seed fixes the number.
        #expect((20...55).contains(report.lost), "lost \(report.lost)")
        #expect(!report.everyRequestAnswered)
        #expect(Set(report.replies.map(\.sequenceNumber)).count == report.replies.count, "no reply is counted twice")
        let unqueued = report.replies.filter { $0.sequenceNumber > 5 }
        #expect(unqueued.allSatisfy { $0.roundTripTime == 60_000 }, "two 30 µs hops in virtual time")
    }

    @Test("the same seed gives the same run; another seed a different one")
    func repeatable() throws {
        let first = try PingDemo.run(lossyOptions(seed: 11))
        let second = try PingDemo.run(lossyOptions(seed: 11))
        let other = try PingDemo.run(lossyOptions(seed: 12))
        #expect(first.events == second.events)
        #expect(first.events != other.events)
    }

    @Test("a link that loses everything: ARP fails after three requests, every echo request times out")
    func totalLoss() throws {
        var options = lossyOptions(seed: 3)
        options.count = 3
        options.timeout = 1_000_000_000
        options.lossProbability = 1
        let report = try PingDemo.run(options)
        #expect(report.replies.isEmpty)
        #expect(report.lost == 3)
        #expect(report.events.first == .neighbourUnreachable(PingDemo.addressB, requestsSent: 3, droppedFrames: 3))
        #expect(report.statisticsA.drops[.neighbourUnreachable] == 3)
        #expect(Array(report.events.dropFirst()) == (1...3).map { NetworkEvent.echoRequestTimedOut(destination: PingDemo.addressB, sequenceNumber: $0) })
    }
}
