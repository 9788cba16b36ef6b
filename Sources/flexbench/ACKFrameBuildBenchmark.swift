import FlexWire

/// The transmit fast path's cost of building a pure ACK in place: Ethernet + IPv4 + TCP with the
/// timestamps option (66 bytes), both checksums computed, written straight into a frame slot.
/// ns per frame.
///
/// Each iteration acknowledges one more full segment with a fresh timestamp and IP identification,
/// into the next of seven cache-hot slots; both stored checksums and the frame length feed the
/// returned value. Two ways to write the same bytes: the per-layer `emit` of the three reprs (what a
/// fast path would inline), and one `FrameHeaders.emit` (the whole-frame API for slow paths and tools).
struct ACKFrameBuildBenchmark: MicroBenchmark {
    /// How the frame is written.
    enum Method: String, CaseIterable {
        /// `EthernetRepr.emit`, `IPv4Repr.emit`, `TCPSegmentRepr.emit` one after the other.
        case layerReprs = "layer-reprs"
        /// One `FrameHeaders.emit` call.
        case frameHeaders = "frame-headers"
    }

    let name: String
    let metric = BenchmarkMetric.latency(operation: "frame")
    private let method: Method
    private let slots = FrameSlots(capacity: BenchmarkConnection.headerLength)
    private var acknowledged: UInt32 = 1_000_000
    private var clock: UInt32 = 500

    init(method: Method) {
        name = "build/ack-ts/\(method.rawValue)"
        self.method = method
        let built = method == .layerReprs ? Self.emitLayers(into: slots.base, stride: slots.stride, acknowledgment: 0, timestamp: 0)
                                          : Self.emitFrameHeaders(into: slots.base, stride: slots.stride, acknowledgment: 0, timestamp: 0)
        precondition(built == BenchmarkConnection.headerLength, "the ACK does not fit its slot: the figure would time the error path")
    }

    static var all: [ACKFrameBuildBenchmark] { Method.allCases.map(ACKFrameBuildBenchmark.init) }

    mutating func run(iterations: Int) -> UInt64 {
        switch method {
        case .layerReprs: build(iterations: iterations, using: Self.emitLayers)
        case .frameHeaders: build(iterations: iterations, using: Self.emitFrameHeaders)
        }
    }

    /// The loop, specialised for each way of writing: `emit` writes one ACK at `slot` and returns
    /// its length (0 on failure).
    @inline(__always)
    private mutating func build(iterations: Int,
                                using emit: (UnsafeMutableRawPointer, Int, UInt32, UInt32) -> Int) -> UInt64 {
        let base = slots.base, stride = slots.stride
        var acknowledgment = acknowledged, timestamp = clock
        var index = 0
        var folded: UInt64 = 0
        for _ in 0..<iterations {
            acknowledgment &+= 1448
            timestamp &+= 1
            let slot = base + index &* stride
            let length = emit(slot, stride, acknowledgment, timestamp)
            let checksums = UInt64(slot.loadUnaligned(fromByteOffset: 24, as: UInt16.self)) << 16
                | UInt64(slot.loadUnaligned(fromByteOffset: 50, as: UInt16.self))
            folded &+= checksums &+ UInt64(truncatingIfNeeded: length)
            index = FrameSlots.next(after: index)
        }
        acknowledged = acknowledgment
        clock = timestamp
        return folded
    }

    /// The headers of the ACK for `acknowledgment` at `timestamp`.
    @inline(__always)
    private static func headers(acknowledgment: UInt32, timestamp: UInt32) -> (IPv4Repr, TCPSegmentRepr) {
        let segment = BenchmarkConnection.segment(sequence: 7_000_000, acknowledgment: acknowledgment, flags: .ack,
                                                  timestamp: timestamp, echoedTimestamp: timestamp &- 3)
        let ip = BenchmarkConnection.ipv4(segmentLength: segment.headerLength, identification: UInt16(truncatingIfNeeded: timestamp))
        return (ip, segment)
    }

    @inline(__always)
    private static func emitLayers(into slot: UnsafeMutableRawPointer, stride: Int, acknowledgment: UInt32, timestamp: UInt32) -> Int {
        let (ip, segment) = headers(acknowledgment: acknowledgment, timestamp: timestamp)
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        do {
            var offset = try BenchmarkConnection.ethernet.emit(into: UnsafeMutableRawBufferPointer(start: slot, count: stride))
            offset &+= try ip.emit(into: UnsafeMutableRawBufferPointer(start: slot + offset, count: stride &- offset))
            return offset &+ (try segment.emit(into: UnsafeMutableRawBufferPointer(start: slot + offset, count: stride &- offset),
                                               payload: empty, source: ip.source, destination: ip.destination))
        } catch {
            return 0
        }
    }

    @inline(__always)
    private static func emitFrameHeaders(into slot: UnsafeMutableRawPointer, stride: Int, acknowledgment: UInt32, timestamp: UInt32) -> Int {
        let (ip, segment) = headers(acknowledgment: acknowledgment, timestamp: timestamp)
        let frame = FrameHeaders(ethernet: BenchmarkConnection.ethernet, network: .ipv4(ip, .tcp(segment)))
        let written = try? frame.emit(payload: UnsafeRawBufferPointer(start: nil, count: 0),
                                      into: UnsafeMutableRawBufferPointer(start: slot, count: stride))
        return written ?? 0
    }
}
