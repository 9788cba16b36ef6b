import FlexWire

/// The sender's record of one flow's losses (RFC 6675): which bytes between SND.UNA and SND.MAX
/// the peer reported holding (SACK blocks), where loss recovery ends, and how far it has
/// retransmitted. The slow path keeps one only for a flow whose peer reported SACK blocks above
/// SND.UNA, and drops it when recovery is over and nothing above SND.UNA is SACKed any more.
///
/// Contract: `sacked` stays sorted, disjoint and non-touching, within SND.UNA ... SND.MAX as last
/// given to `update`; it holds at most `maximumRanges` (beyond that the highest range gives way, which
/// can only make recovery retransmit a SACKed byte, never skip a lost one). Work per call is in proportion to
/// the ranges held. Sequence comparisons are modulo 2³² within one window.
struct SACKScoreboard {
    /// The most SACKed ranges kept.
    static let maximumRanges = 32
    /// RFC 6675's DupThresh: a hole is lost when this many segments' worth of data above it is
    /// SACKed, less one (or this many separate SACKed ranges lie above it).
    static let duplicateThreshold: UInt32 = 3

    /// SACKed ranges above SND.UNA, ascending.
    private(set) var sacked: [(start: SequenceNumber, end: SequenceNumber)] = []
    /// RecoveryPoint: SND.MAX when recovery began; nil outside recovery.
    private(set) var recoveryPoint: SequenceNumber?
    /// HighRxt: everything below it in a hole was retransmitted in this recovery.
    private(set) var highestRetransmitted = SequenceNumber(0)
    /// The most retransmitted bytes allowed in flight at once: half the flight when recovery began
    /// (RFC 6675's ssthresh), at least two segments.
    private(set) var retransmissionBudget: UInt32 = 0
    /// Everything not SACKed below this counts as lost (a tail loss probe was SACKed above it, RFC
    /// 8985's view: sent before a segment that arrived); nil outside such a recovery.
    private(set) var lostBelow: SequenceNumber?

    init() {
        sacked.reserveCapacity(Self.maximumRanges)
    }

    /// Takes the peer's latest SACK blocks and the acknowledged point: forgets what lies at or
    /// below `unacknowledged`, ignores blocks outside `unacknowledged ..< sendMaximum` (D-SACK
    /// blocks for duplicates, stale or forged ones) and merges the rest in.
    mutating func update(blocks: TCPSACKBlocks, unacknowledged: SequenceNumber, sendMaximum: SequenceNumber) {
        sacked.removeAll { !(unacknowledged < $0.end) }
        if let first = sacked.first, first.start < unacknowledged { sacked[0].start = unacknowledged }
        for block in blocks where unacknowledged < block.leftEdge && block.leftEdge < block.rightEdge
                                  && !(sendMaximum < block.rightEdge) {
            insert(start: block.leftEdge, end: block.rightEdge)
        }
        if let point = recoveryPoint, !(unacknowledged < point) {
            recoveryPoint = nil
            lostBelow = nil
        }
        if highestRetransmitted < unacknowledged { highestRetransmitted = unacknowledged }
    }

    private mutating func insert(start: SequenceNumber, end: SequenceNumber) {
        var start = start, end = end
        // The first range ending at or after `start`; every touching one from there merges in.
        var index = sacked.firstIndex { !($0.end < start) } ?? sacked.endIndex
        while index < sacked.endIndex, !(end < sacked[index].start) {
            if sacked[index].start < start { start = sacked[index].start }
            if end < sacked[index].end { end = sacked[index].end }
            sacked.remove(at: index)
        }
        sacked.insert((start, end), at: index)
        if sacked.count > Self.maximumRanges { sacked.removeLast() }
    }

    /// True while in loss recovery.
    var inRecovery: Bool { recoveryPoint != nil }

    /// True when nothing above SND.UNA is SACKed and recovery is over: the scoreboard can go.
    var isIdle: Bool { sacked.isEmpty && recoveryPoint == nil }

    /// RFC 6675 IsLost(seq): the SACKed bytes above `sequence` exceed (DupThresh − 1) × MSS, or
    /// DupThresh separate ranges lie above it.
    func isLost(_ sequence: SequenceNumber, segmentSize: UInt32) -> Bool {
        if let lostBelow, sequence < lostBelow { return true }
        var bytes: UInt32 = 0
        var ranges: UInt32 = 0
        for range in sacked.reversed() {
            guard sequence < range.end else { break }
            bytes &+= UInt32(range.end - (range.start < sequence ? sequence : range.start))
            ranges &+= 1
        }
        return bytes > (Self.duplicateThreshold - 1) * segmentSize || ranges >= Self.duplicateThreshold
    }

    /// Enters recovery (RFC 6675 §5) when not in it already: RecoveryPoint = SND.MAX, HighRxt =
    /// SND.UNA, the retransmission budget half of `flight` (at least two segments).
    mutating func enterRecovery(unacknowledged: SequenceNumber, sendMaximum: SequenceNumber, flight: UInt32, segmentSize: UInt32) {
        guard recoveryPoint == nil else { return }
        recoveryPoint = sendMaximum
        highestRetransmitted = unacknowledged
        retransmissionBudget = max(flight / 2, 2 * segmentSize)
    }

    /// After a tail loss probe: enters recovery (as `enterRecovery`) with every byte below the
    /// lowest SACKed range counted lost. Does nothing when in recovery or nothing is SACKed.
    mutating func enterProbeRecovery(unacknowledged: SequenceNumber, sendMaximum: SequenceNumber, flight: UInt32, segmentSize: UInt32) {
        guard recoveryPoint == nil, let lowest = sacked.first else { return }
        enterRecovery(unacknowledged: unacknowledged, sendMaximum: sendMaximum, flight: flight, segmentSize: segmentSize)
        lostBelow = lowest.start
    }

    /// Retransmitted bytes that may still be in the network: those below HighRxt in the holes
    /// (neither acknowledged nor SACKed since).
    func retransmittedInFlight(unacknowledged: SequenceNumber) -> UInt32 {
        var bytes: UInt32 = 0
        var holeStart = unacknowledged
        for range in sacked {
            guard holeStart < highestRetransmitted else { break }
            let holeEnd = range.start < highestRetransmitted ? range.start : highestRetransmitted
            if holeStart < holeEnd { bytes &+= UInt32(holeEnd - holeStart) }
            holeStart = range.end
        }
        if holeStart < highestRetransmitted { bytes &+= UInt32(highestRetransmitted - holeStart) }
        return bytes
    }

    /// RFC 6675 NextSeg() rule (1), within the retransmission budget: the first bytes at or above
    /// HighRxt that are neither SACKed nor above the highest SACKed byte and that `isLost` — at most
    /// `segmentSize` of them, up to the next SACKed range; nil when there are none (or the budget is
    /// used). `first` retransmits the hole at SND.UNA whether lost or not (the first retransmission
    /// on entering recovery). Moves HighRxt past what it returns.
    mutating func nextRetransmission(unacknowledged: SequenceNumber, segmentSize: UInt32,
                                     first: Bool) -> (sequence: SequenceNumber, length: UInt32)? {
        guard inRecovery, first || retransmittedInFlight(unacknowledged: unacknowledged) < retransmissionBudget else { return nil }
        var candidate = highestRetransmitted < unacknowledged ? unacknowledged : highestRetransmitted
        for range in sacked {
            if candidate < range.start {
                guard first || isLost(candidate, segmentSize: segmentSize) else { return nil }
                let length = min(UInt32(range.start - candidate), segmentSize)
                highestRetransmitted = candidate + length
                return (candidate, length)
            }
            if candidate < range.end { candidate = range.end }
        }
        guard first, sacked.isEmpty else { return nil }
        highestRetransmitted = candidate + segmentSize
        return (candidate, segmentSize)
    }
}
