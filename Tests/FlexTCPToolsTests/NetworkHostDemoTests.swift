import FlexTCPCore
import FlexTCPTools
import FlexPort
import FlexWire
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct NetworkHostDemoTests {
    @Test("the demo in virtual time: ARP first, then every echo answered with exact round trips")
    func demo() throws {
        var options = PingDemoOptions()
        options.clock = .virtual
        options.oneWayDelay = 25_000
        var printed: [NetworkEvent] = []
        let report = try PingDemo.run(options) { printed.append($0) }
        #expect(report.everyRequestAnswered)
        #expect(report.requestsSent == 3 && report.lost == 0)
        #expect(printed == report.events)
        #expect(report.events.first == .neighbourResolved(PingDemo.addressB, MACAddress(0x02, 0, 0, 0, 0, 0x0b),
                                                          requestsSent: 1, elapsed: 50_000))
        #expect(report.replies.map(\.sequenceNumber) == [1, 2, 3])
        // The first request waited for ARP (one round trip) before its own round trip.
        #expect(report.replies.map(\.roundTripTime) == [100_000, 50_000, 50_000])
        #expect(report.replies.allSatisfy { $0.source == PingDemo.addressB && $0.payloadLength == 56 })
        #expect(report.statisticsB.arpRequestsAnswered == 1)
        #expect(report.statisticsB.echoRequestsAnswered == 3)
        #expect(report.statisticsA.drops.total == 0 && report.statisticsB.drops.total == 0)
    }

    @Test("the demo in real time answers every echo too")
    func demoInRealTime() throws {
        var options = PingDemoOptions()
        options.interval = 1_000_000
        let report = try PingDemo.run(options)
        #expect(report.everyRequestAnswered)
        #expect(report.replies.count == 3)
    }

    @Test("--pcap records host A's side: ARP request and reply, three echo requests and replies")
    func recordsPcap() throws {
        let path = "/tmp/flextcp-demo-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcap"
        defer { unlink(path) }
        var options = PingDemoOptions()
        options.clock = .virtual
        options.pcapPath = path
        let report = try PingDemo.run(options)
        #expect(report.recordedFrames == 8)
        var info = stat()
        #expect(stat(path, &info) == 0)
        // File header, then 8 records: 2 ARP frames of 60 bytes, 6 echo frames of 98 bytes.
        #expect(Int(info.st_size) == PcapWriter.fileHeaderLength + 8 * PcapWriter.recordHeaderLength + 2 * 60 + 6 * 98)
    }

    @Test("options out of range are refused before anything runs")
    func invalidOptions() {
        var options = PingDemoOptions()
        options.count = 0
        #expect(throws: PingDemoError.invalidOption("the count must be 1...65535")) { try PingDemo.run(options) }
        options.count = 1
        options.lossProbability = 1.5
        #expect(throws: PingDemoError.self) { try PingDemo.run(options) }
    }
}
