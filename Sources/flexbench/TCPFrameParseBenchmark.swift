import FlexWire

/// The receive fast path's per-frame parsing cost for a TCP data frame with timestamps:
/// Ethernet → IPv4 → TCP views, optionally both checksums (IPv4 header; TCP with pseudo-header and
/// payload), then the fields the fast path needs — ports, sequence and acknowledgment numbers, flags,
/// window, timestamps, payload length. ns per frame.
///
/// Seven cache-hot frames that differ in numbers and payload are parsed in turn; every field read
/// feeds the returned value. `init` checks that every frame passes, so the loop times the success path;
/// a failure inside the loop still only changes the value (counted like a drop or a slow-path frame).
struct TCPFrameParseBenchmark: MicroBenchmark {
    let name: String
    let metric = BenchmarkMetric.latency(operation: "frame")
    private let verifiesChecksums: Bool
    private let frameLength: Int
    private let slots: FrameSlots
    private var cursor = 0

    init(payloadCount: Int, verifiesChecksums: Bool) {
        name = "parse/tcp-ts/\(payloadCount)B/" + (verifiesChecksums ? "views+checksums" : "views-only")
        self.verifiesChecksums = verifiesChecksums
        let frames = (0..<FrameSlots.count).map {
            BenchmarkConnection.dataFrame(payloadCount: payloadCount, variant: UInt32($0))
        }
        frameLength = frames[0].count
        slots = FrameSlots(frames: frames)
        for index in 0..<FrameSlots.count {
            let parsed = try? Self.parse(UnsafeRawPointer(slots.slot(index)), length: frameLength, verifyingChecksums: true)
            precondition(parsed != nil, "a benchmark frame does not parse: the figure would time the error path")
        }
    }

    /// A small and a full-sized segment (64 and 1448 payload bytes: 130- and 1514-byte frames), each
    /// with views only and with checksums.
    static var all: [TCPFrameParseBenchmark] {
        [64, 1448].flatMap { size in
            [false, true].map { TCPFrameParseBenchmark(payloadCount: size, verifiesChecksums: $0) }
        }
    }

    mutating func run(iterations: Int) -> UInt64 {
        let base = slots.base, stride = slots.stride, length = frameLength, verifiesChecksums = verifiesChecksums
        var index = cursor
        var folded: UInt64 = 0
        for _ in 0..<iterations {
            do {
                folded &+= try Self.parse(UnsafeRawPointer(base + index &* stride), length: length,
                                          verifyingChecksums: verifiesChecksums) ?? 2
            } catch {
                folded &+= 1
            }
            index = FrameSlots.next(after: index)
        }
        cursor = index
        return folded
    }

    /// The fast path's view of one frame, folded into one number; nil for a frame that is not an
    /// unfragmented TCP segment in IPv4 (the slow path's business); throws on the first failed check.
    @inline(__always)
    private static func parse(_ frame: UnsafeRawPointer, length: Int, verifyingChecksums: Bool) throws(WireError) -> UInt64? {
        let ethernet = try EthernetFrame(checking: frame, length: length)
        guard ethernet.etherType == .ipv4 else { return nil }
        let packet = try IPv4Packet(checking: ethernet.payloadBase, length: ethernet.payloadLength)
        guard packet.protocolNumber == .tcp, !packet.isFragment else { return nil }
        if verifyingChecksums, !packet.isHeaderChecksumValid { throw .badChecksum(.ipv4) }
        let segment = try TCPSegment(checking: packet.payloadBase, length: packet.payloadLength)
        if verifyingChecksums, !segment.isChecksumValid(source: packet.source, destination: packet.destination) {
            throw .badChecksum(.tcp)
        }
        var timestamps = segment.alignedTimestamps
        if timestamps == nil { timestamps = try TCPOptions(parsing: segment.optionIterator).timestamps }
        let ports = UInt64(segment.sourcePort) << 16 | UInt64(segment.destinationPort)
        let numbers = UInt64(segment.sequenceNumber.rawValue) << 32 | UInt64(segment.acknowledgmentNumber.rawValue)
        let control = UInt64(segment.flags.rawValue) << 16 | UInt64(segment.window)
        let echo = timestamps.map { UInt64($0.value) << 32 | UInt64($0.echoReply) } ?? 0
        return ports &+ numbers &+ control << 8 &+ echo &+ UInt64(segment.payloadLength)
    }
}
