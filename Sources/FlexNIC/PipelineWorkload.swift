import FlexWire

/// The `flexbench nic` workload: one pipeline running a standard program over a fixed set of
/// preallocated frames, one `process` per iteration (parse, stages, deparse or reply; no queue copy).
///
/// Contract: `steering` uses 256 TCP flows (both directions) with the 4-stage symmetric steering
/// program; `ack` uses 256 DCCP-like data packets to the ACK program's port, each producing an ACK
/// (the queue always has room). Frames are not changed by processing, so every iteration sees the same input.
public final class PipelineWorkload {
    public let programName: String
    public let pipeline: Pipeline
    private let frames: UnsafeMutableRawPointer
    private let lengths: [Int]
    private static let frameStride = 2_048

    /// The workloads by name.
    public static let names = ["steering", "ack"]

    public init?(program name: String) throws {
        guard Self.names.contains(name), let program = StandardPrograms.program(named: name) else { return nil }
        programName = name
        pipeline = try Pipeline(program: program, queueCount: StandardPrograms.queueCount(named: name))
        for queue in 0..<pipeline.queueCount { pipeline.setQueueRoom(queue, 1 << 20) }
        let client = MACAddress(0x02, 0, 0, 0, 0, 1), server = MACAddress(0x02, 0, 0, 0, 0, 2)
        var built: [[UInt8]] = []
        for flow in 0..<256 {
            let peer = IPv4Address(198, 18, UInt8(1 + flow / 200), UInt8(flow % 200 + 1)), host = IPv4Address(198, 19, 0, 1)
            if name == "steering" {
                let ip = IPv4Repr(source: flow % 2 == 0 ? peer : host, destination: flow % 2 == 0 ? host : peer,
                                  protocolNumber: .tcp, payloadLength: 0)
                let ports: (UInt16, UInt16) = flow % 2 == 0 ? (UInt16(30_000 + flow), 80) : (80, UInt16(30_000 + flow))
                let tcp = TCPSegmentRepr(sourcePort: ports.0, destinationPort: ports.1, sequenceNumber: SequenceNumber(UInt32(flow)),
                                         flags: [.ack], window: 1_024)
                built.append(try FrameHeaders(ethernet: EthernetRepr(destination: server, source: client, etherType: .ipv4),
                                              network: .ipv4(ip, .tcp(tcp))).frame(payload: [UInt8](repeating: 0x5a, count: 64)))
            } else {
                built.append(try DCCPLikeFrame(sourceMAC: client, destinationMAC: server, source: peer, destination: host,
                                               sourcePort: UInt16(30_000 + flow), destinationPort: UInt16(StandardPrograms.ackPort),
                                               type: UInt8(StandardParseGraph.dccpData), sequence: UInt64(flow) << 20)
                    .frame(payload: [UInt8](repeating: 0x5a, count: 64)))
            }
        }
        let frames = UnsafeMutableRawPointer.allocate(byteCount: built.count * Self.frameStride, alignment: 64)
        for (index, frame) in built.enumerated() {
            frame.withUnsafeBytes { (frames + index * Self.frameStride).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        self.frames = frames
        lengths = built.map(\.count)
    }

    deinit { frames.deallocate() }

    /// Processes `iterations` frames (cycling through the set); returns a value derived from every verdict.
    public func run(iterations: Int) -> UInt64 {
        var digest: UInt64 = 0
        let count = lengths.count
        lengths.withUnsafeBufferPointer { lengths in
            var index = 0
            for _ in 0..<iterations {
                let verdict = pipeline.process(frames + index &* Self.frameStride, length: lengths[index])
                digest = digest &+ UInt64(verdict.descriptor) &+ UInt64(verdict.replyLength)
                index &+= 1
                if index == count { index = 0 }
            }
        }
        return digest
    }
}
