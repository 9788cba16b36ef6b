import Testing
@testable import FlexTCPTools

@Suite("The demo's TCP transfer")
struct TransferDemoTests {
    @Test("seeded streams arrive whole and their SHA-256 match on both ends")
    func streamsVerified() throws {
        let report = try TransferDemo.run(connections: 3, bytesPerConnection: 300_000, seed: 9, deadline: 30_000_000_000)
        #expect(report.everyStreamVerified)
        #expect(report.received.count == 3)
        #expect(report.received.allSatisfy { $0.bytes == 300_000 })
        #expect(Set(report.sent.map(\.sha256)).count == 3, "each connection sends its own stream")
    }

    @Test("a mismatch is not reported as verified")
    func mismatchDetected() {
        var report = TransferDemo.Report()
        report.sent = [StreamReport(label: "0", bytes: 10, sha256: "aa")]
        report.received = [StreamReport(label: "x", bytes: 10, sha256: "ab")]
        #expect(!report.everyStreamVerified)
        report.received = [StreamReport(label: "x", bytes: 10, sha256: "aa")]
        #expect(report.everyStreamVerified)
        report.unfinished = 1
        #expect(!report.everyStreamVerified)
    }
}
