import FlexPort
import Foundation
import Testing

@Suite struct PcapWriterTests {
    @Test func standaloneWriterRecordsFramesTsharkCanRead() throws {
        try #require(tsharkIsInstalled, "tshark reads the file back")
        try withTemporaryDirectory { directory in
            let path = directory + "/standalone.pcap"
            let clock = VirtualTimeSource(start: 1_500_000_123)
            let lengths = [60, 64, 100, 1514, 300, 3000]
            let frames = lengths.enumerated().map { sequencedFrame(UInt32($0.offset), length: $0.element) }
            do {
                // A small buffer forces several writes; the last records reach the file at deinit.
                let writer = try PcapWriter(path: path, snapshotLength: 2000, timeSource: clock, bufferCapacity: 4096)
                for frame in frames {
                    frame.withUnsafeBytes { writer.write($0) }
                    clock.advance(by: 1_000)
                }
                #expect(writer.recordedFrames > 0 && writer.recordedFrames < UInt64(frames.count))
            }
            let (snapshotLength, records) = try readPcap(path)
            #expect(snapshotLength == 2000)
            #expect(records.map(\.originalLength) == lengths)
            #expect(records.map(\.bytes) == frames.map { Array($0.prefix(2000)) })
            #expect(records.map(\.timestampNanoseconds) == (0..<6).map { 1_500_000_123 + UInt64($0) * 1_000 })

            let fields = try tsharkFields(path, ["frame.len", "frame.cap_len", "frame.time_epoch"])
            #expect(fields.map { $0[0] } == lengths.map(String.init))
            #expect(fields.map { $0[1] } == lengths.map { String(min($0, 2000)) })
            #expect(fields.first?[2].hasPrefix("1.500000123") == true)
        }
    }

    @Test func recordingPortCapturesBothDirectionsInOrder() throws {
        try #require(tsharkIsInstalled, "tshark reads the file back")
        try withTemporaryDirectory { directory in
            let path = directory + "/port.pcap"
            let wire = try MemoryWire(capacity: 64)
            let writer = try PcapWriter(path: path)
            let recorder = PcapRecordingPort(wrapping: wire.a, writer: writer)
            var expected: [[UInt8]] = []
            for index in 0..<10 {
                let outgoing = sequencedFrame(UInt32(index), length: 60 + index)
                #expect(recorder.transmit(outgoing))
                expected.append(outgoing)
                if index % 2 == 0 {
                    let incoming = sequencedFrame(UInt32(100 + index), length: 200 + index)
                    #expect(wire.b.transmit(incoming))
                    #expect(drainFrames(recorder) == [incoming])
                    expected.append(incoming)
                }
            }
            // A reserved slot left empty is not a frame and is not recorded.
            let batch = FrameBatch(capacity: 1)
            #expect(recorder.reserveTransmit(into: batch, count: 1) == 1)
            #expect(recorder.commitTransmit(batch) == 0)
            try writer.close()
            #expect(writer.recordedFrames == 15)
            #expect(drainFrames(wire.b).count == 10)
            #expect(try readPcap(path).records.map(\.bytes) == expected)
            #expect(try tsharkFields(path, ["frame.len"]).map { $0[0] } == expected.map { String($0.count) })
            #expect(recorder.statistics == wire.a.statistics)
        }
    }

    @Test func failuresAreReportedNotTrapped() throws {
        #expect(throws: PcapWriterError.openFailed(ENOENT)) {
            try PcapWriter(path: "/tmp/flexport-no-such-directory-\(UUID().uuidString)/x.pcap")
        }
        try withTemporaryDirectory { directory in
            let writer = try PcapWriter(path: directory + "/closed.pcap")
            try writer.close()
            try writer.close()
            [UInt8](repeating: 1, count: 60).withUnsafeBytes { writer.write($0) }
            #expect(writer.lostFrames == 1)
            #expect(try readPcap(directory + "/closed.pcap").records.isEmpty)
        }
        let full = try PcapWriter(path: "/dev/full")
        for _ in 0..<3 { [UInt8](repeating: 1, count: 60).withUnsafeBytes { full.write($0) } }
        #expect(throws: PcapWriterError.writeFailed(ENOSPC)) { try full.flush() }
        #expect(full.lostFrames == 3)
        #expect(full.recordedFrames == 0)
        try full.flush()
    }
}
