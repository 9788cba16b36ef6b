import FlexNIC
import FlexPort
import FlexWire
import Foundation
import Testing

@Suite("flexnic run over a pcap the stack's writer recorded")
struct PcapRunTests {
    @Test("the ACK program's run counts queue, replies and parse errors, and writes one pcap per outcome")
    func runsOverRecordedCapture() throws {
        let directory = "/tmp/flexnic-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = try NICTestFrames.dccp(ports: (41_000, UInt16(StandardPrograms.ackPort)), type: UInt8(StandardParseGraph.dccpData),
                                          sequence: 77, payload: Array("tuple".utf8))
        let other = try NICTestFrames.tcp(ports: (1, 2))
        let wire = try MemoryWire()
        let writer = try PcapWriter(path: directory + "/capture.pcap")
        let recorder = PcapRecordingPort(wrapping: wire.a, writer: writer)
        for frame in [data, other, data, [UInt8](repeating: 1, count: 12)] { #expect(recorder.transmit(frame)) }
        try writer.close()

        var reader = try PcapReader(path: directory + "/capture.pcap")
        let report = try PcapRun.run(StandardPrograms.program(named: "ack")!, queueCount: 1, records: try reader.readAll(),
                                     outputDirectory: directory)
        #expect(report.frames == 4)
        #expect(report.queued == [0: 2])
        #expect(report.passed == 1)
        #expect(report.replies == 2)
        #expect(report.exceptions == [PacketVerdict.parseErrorReason: 1])
        #expect(zip(report.actions, report.actionCounts).first { $0.0 == "acknowledge/ack" }?.1 == 2)
        #expect(report.text.contains("\n  queue 0" + String(repeating: " ", count: 23) + " 2\n"))
        var queue = try PcapReader(path: directory + "/queue-0.pcap")
        #expect(try queue.readAll().map(\.bytes) == [data, data])
        var replies = try PcapReader(path: directory + "/replies.pcap")
        let acks = try replies.readAll()
        #expect(acks.count == 2)
        #expect(acks.first?.bytes[14 + 20 + 8] == UInt8(StandardParseGraph.dccpAck) << 1 | 1)
    }
}
