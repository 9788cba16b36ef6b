import FlexPort
import FlexWire

/// How many frames the FlexTCP systems' wires and port rings hold for a workload at an MTU (the
/// largest IP packet; frames are 14 bytes longer), and the in-memory wire built to that size.
///
/// Contract: `makeMemoryWire` accepts an MTU in `FlexTCPMemorySystem.mtuRange` and throws otherwise. Each
/// direction has a slot for every frame `framesInFlight` counts, but its slots take at most
/// `bytesPerDirectionLimit` bytes (before MemoryWire rounds the count up to a power of two): a
/// sender that fills the wire beyond that loses frames and retransmits them. The slots beyond the
/// windows (for ACKs and setup) take at most `slackBytes`: the wire is used round robin, so every
/// slot's bytes pass through the caches, and at a 64 KiB MTU 512 spare slots would cycle 32 MiB per
/// direction through them (bulk ran at about half the rate with 1,024 slots as with 32).
enum BenchmarkWire {
    /// At most this many frame slots per direction (all windows full at once is rare).
    static let frameSlotLimit = 1 << 16
    /// Spare slots for ACKs and setup: 512 frames, or fewer when they would take more than
    /// `slackBytes`, but at least 16.
    static let slackFrames = 512
    static let slackBytes = 1 << 20
    /// Slot memory per direction at most (1,514-byte frames never reach it; 64 KiB frames do at 8,192
    /// slots). Pages of slots that only ever carry small frames are touched only at their start.
    static let bytesPerDirectionLimit = 512 << 20

    /// The wire's frame length for `mtu`: the IP packet and an untagged Ethernet header.
    static func frameLength(mtu: Int) -> Int { EthernetRepr.untaggedHeaderLength + mtu }

    /// The payload of a full data segment at `mtu`: the packet less the IPv4 and TCP headers and the
    /// timestamp option the FlexTCP stacks put on every segment.
    static func segmentSize(mtu: Int) -> Int {
        mtu - IPv4Repr.headerLength - TCPSegmentRepr.fixedHeaderLength - TCPTimestamps.alignedLength
    }

    /// Frames that can be on their way to one side at once: every window in flight in full segments
    /// (one per message for small messages), plus ACKs and setup — the wire or port ring must hold
    /// them, as neither gives the sender back-pressure.
    static func framesInFlight(for spec: WorkloadSpec, mtu: Int) -> Int {
        let maximumSegment = segmentSize(mtu: mtu)
        let segmentsPerMessage = (spec.size + maximumSegment - 1) / maximumSegment
        let perConnection = switch spec.workload {
        case .echo: 2 * spec.pipeline * max(1, segmentsPerMessage)
        case .churn: 8 + 2 * segmentsPerMessage
        case .serverReceive, .serverSend, .bulk: Int(FlexTCPBenchmarkStack.ringSize(for: spec)) / maximumSegment + 4
        }
        let stride = FrameRingLayout.slotStride(frameCapacity: frameLength(mtu: mtu))
        let slack = max(16, min(slackFrames, slackBytes / stride))
        return min(spec.connections * perConnection + slack, frameSlotLimit, bytesPerDirectionLimit / stride)
    }

    /// A wire for `spec` at `mtu` that waives checksums between the two FlexTCP stacks.
    static func makeMemoryWire(for spec: WorkloadSpec, mtu: Int) throws(BenchmarkFailure) -> MemoryWire {
        if let problem = FlexTCPMemorySystem.mtuProblem(mtu) { throw BenchmarkFailure(problem) }
        do {
            return try MemoryWire(capacity: framesInFlight(for: spec, mtu: mtu), maximumFrameLength: frameLength(mtu: mtu),
                                  trustsPartialChecksums: true)
        } catch {
            throw BenchmarkFailure("cannot make the in-memory wire: \(error)")
        }
    }
}
