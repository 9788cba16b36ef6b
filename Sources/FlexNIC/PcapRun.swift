import FlexPort

/// Runs a receive program over captured frames, as the `flexnic run` tool does, counting where
/// every frame went and optionally writing one pcap per outcome.
///
/// Contract: software queues never fill (the tool models an unbounded host, so `queueRoom` is always
/// large); frames longer than `maximumFrameLength` are counted as `oversize` and skipped. Output
/// files keep each frame's capture timestamp: `queue-N.pcap`, `passed.pcap`, `exceptions.pcap`,
/// `replies.pcap` in `outputDirectory`.
public struct PcapRun {
    /// What happened to the frames of one run.
    public struct Report: Equatable, Sendable {
        public var program: String
        public var frames = 0
        public var oversize = 0
        public var passed = 0
        public var queued: [Int: Int] = [:]
        public var dropped: [UInt8: Int] = [:]
        public var exceptions: [UInt8: Int] = [:]
        public var replies = 0
        public var actions: [String] = []
        public var actionCounts: [UInt64] = []

        /// The report as text, one figure per line (label column 32 wide).
        public var text: String {
            func line(_ label: String, _ value: some BinaryInteger) -> String { "  \(label)".padding(32) + " \(value)" }
            var lines = ["program \(program): \(frames) frames", line("passed to host", passed)]
            for queue in queued.keys.sorted() { lines.append(line("queue \(queue)", queued[queue]!)) }
            for reason in dropped.keys.sorted() { lines.append(line("dropped (reason \(reason))", dropped[reason]!)) }
            for reason in exceptions.keys.sorted() {
                let label = reason == PacketVerdict.parseErrorReason ? "parse error" : "reason \(reason)"
                lines.append(line("exception (\(label))", exceptions[reason]!))
            }
            lines.append(line("replies sent", replies))
            if oversize > 0 { lines.append(line("oversize (skipped)", oversize)) }
            lines.append("actions:")
            for (action, count) in zip(actions, actionCounts) { lines.append(line(action, count)) }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    public static let maximumFrameLength = 9_216

    /// Runs `program` over `records`, writing pcaps into `outputDirectory` when given.
    public static func run(_ program: Program, queueCount: Int, records: [PcapRecord], outputDirectory: String? = nil) throws -> Report {
        let pipeline = try Pipeline(program: program, queueCount: queueCount)
        for queue in 0..<queueCount { pipeline.setQueueRoom(queue, Int(Int32.max)) }
        var report = Report(program: program.name)
        var writers: [String: PcapWriter] = [:]
        func write(_ bytes: UnsafeRawBufferPointer, to name: String, timestamp: UInt64) throws {
            guard let outputDirectory else { return }
            if writers[name] == nil { writers[name] = try PcapWriter(path: "\(outputDirectory)/\(name).pcap") }
            writers[name]!.write(bytes, timestampNanoseconds: timestamp)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumFrameLength, alignment: 8)
        defer { buffer.deallocate() }
        for record in records {
            report.frames += 1
            guard record.bytes.count <= maximumFrameLength else {
                report.oversize += 1
                continue
            }
            let original = UnsafeRawBufferPointer(rebasing: buffer[0..<record.bytes.count])
            record.bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let verdict = pipeline.process(buffer.baseAddress!, length: record.bytes.count)
            if verdict.replyLength > 0 {
                report.replies += 1
                try write(pipeline.reply(length: verdict.replyLength), to: "replies", timestamp: record.timestampNanoseconds)
            }
            switch verdict.disposition {
            case .pass:
                report.passed += 1
                try write(original, to: "passed", timestamp: record.timestampNanoseconds)
            case .queue(let queue):
                report.queued[queue, default: 0] += 1
                try write(original, to: "queue-\(queue)", timestamp: record.timestampNanoseconds)
            case .drop(let reason):
                report.dropped[reason, default: 0] += 1
            case .exception(let reason):
                report.exceptions[reason, default: 0] += 1
                try write(original, to: "exceptions", timestamp: record.timestampNanoseconds)
            }
        }
        for writer in writers.values { try writer.close() }
        let counts = pipeline.actionCounts()
        report.actions = counts.map { "\($0.stage)/\($0.action)" }
        report.actionCounts = counts.map(\.count)
        return report
    }
}

extension String {
    /// The string padded with spaces to `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
