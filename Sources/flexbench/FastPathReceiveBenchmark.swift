import FlexPort
import FlexTCPCore
import FlexWire

/// The fast path's receive path per in-order data segment: checksum verification, flow lookup,
/// ACK processing, payload copy into the flow's receive ring, event, and a generated ACK frame
/// (written into a transmit slot of a port that discards it). Reported in ns per segment.
///
/// Each batch of 64 prebuilt consecutive segments runs against a freshly installed flow (install
/// and remove are timed too and amortised over the 64 segments), so the ring never fills.
struct FastPathReceiveBenchmark: MicroBenchmark {
    let name: String
    let metric = BenchmarkMetric.latency(operation: "segment")
    private let fastPath: FastPath
    private let batch = FrameBatch(capacity: 64)
    private let frames: UnsafeMutableRawPointer
    private let flow: FlowState
    private let region: UnsafeMutableRawPointer
    private static let initialSequence: UInt32 = 1_000_000
    private static let acknowledgment: UInt32 = 7_000_000

    static var all: [FastPathReceiveBenchmark] { [64, 1448].map { FastPathReceiveBenchmark(payloadCount: $0) } }

    init(payloadCount: Int) {
        name = "fastpath/receive+ack/\(payloadCount)B"
        let ringSize: UInt32 = 1 << 20
        region = .allocate(byteCount: Int(ringSize) * 2, alignment: 64)
        // Every segment ACKed at once: the benchmark measures receive plus ACK.
        fastPath = FastPath(configuration: FastPathConfiguration(localAddress: BenchmarkConnection.destinationAddress,
                                                                 localMAC: BenchmarkConnection.ethernet.destination,
                                                                 delaysAcknowledgments: false),
                            port: DiscardPort(), payloadRegion: region, payloadRegionSize: Int(ringSize) * 2)
        var state = FlowState()
        state.localPort = BenchmarkConnection.destinationPort
        state.remotePort = BenchmarkConnection.sourcePort
        state.remoteAddress = BenchmarkConnection.sourceAddress
        state.remoteMAC = BenchmarkConnection.ethernet.source
        state.options = .timestamps
        state.maximumSegmentSize = 1448
        state.receiveRingSize = ringSize
        state.receiveSpace = ringSize
        state.transmitRingOffset = ringSize
        state.transmitRingSize = ringSize
        state.receiveNext = SequenceNumber(Self.initialSequence)
        state.sendUnacknowledged = SequenceNumber(Self.acknowledgment)
        state.peerWindow = 0xffff
        flow = state

        let stride = 2048
        frames = .allocate(byteCount: stride * batch.capacity, alignment: 64)
        for index in 0..<batch.capacity {
            let sequence = Self.initialSequence &+ UInt32(index * payloadCount)
            let segment = BenchmarkConnection.segment(sequence: sequence, acknowledgment: Self.acknowledgment,
                                                      flags: [.ack, .psh], timestamp: 100 &+ UInt32(index), echoedTimestamp: 50)
            let headers = FrameHeaders(ethernet: BenchmarkConnection.ethernet,
                                       network: .ipv4(BenchmarkConnection.ipv4(segmentLength: 0, identification: UInt16(index)),
                                                      .tcp(segment)))
            let payload = (0..<payloadCount).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            // The headers and payload above always fit the array `frame` sizes for them.
            let bytes = try! headers.frame(payload: payload)
            let slot = frames + index * stride
            bytes.withUnsafeBytes { slot.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            batch.append(Frame(bytes: slot, length: bytes.count, capacity: stride))
        }
        // Refuse to time an error path: one batch must be handled entirely by the fast path.
        var check = self
        _ = check.run(iterations: batch.capacity)
        precondition(fastPath.frames(withVerdict: .handled) == UInt64(batch.capacity)
                     && fastPath.acknowledgmentsSent == UInt64(batch.capacity), "benchmark segments were not fast-path material")
    }

    mutating func run(iterations: Int) -> UInt64 {
        var result: UInt64 = 0
        var remaining = iterations
        while remaining > 0 {
            let count = min(remaining, batch.capacity)
            batch.count = count
            // The flow is new for every batch, so the prebuilt sequence numbers are in order again.
            try! fastPath.install(flow: 0, state: flow, now: 1)
            fastPath.processReceived(batch, now: 1_000_000)
            result &+= UInt64(fastPath.eventCount)
            fastPath.clearEvents()
            result &+= UInt64(fastPath.remove(flow: 0)?.receiveHead ?? 0)
            remaining -= count
        }
        return result
    }
}
