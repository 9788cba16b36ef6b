import FlexWire

/// The sender's record of one flow's losses: which bytes between SND.UNA and SND.MAX the peer
/// reported holding (SACK blocks) and since when, where loss recovery ends, how far it has
/// retransmitted, and the retransmissions not yet delivered. The slow path keeps one only for a
/// flow whose peer reported SACK blocks above SND.UNA, and drops it when recovery is over and
/// nothing above SND.UNA is SACKed any more.
///
/// A hole counts as lost by RFC 6675's rule (enough SACKed above it) or by RACK's time rule (RFC
/// 8985): a segment is lost once a segment sent after it was delivered and an RTT plus the
/// reordering window has passed since it was sent. The slow path knows when it retransmitted, not
/// when the fast path first sent a segment, so for a hole never retransmitted the rule runs from
/// when a SACK above it was first seen (the SACKed bytes were sent after the hole and their SACK
/// took an RTT to come back: this waits no less than RACK would). Each retransmission is recorded
/// with its send time and SND.MAX then, so one that is lost again is found (and sent again) as soon
/// as something sent after it is delivered and its time is up, instead of waiting for the RTO.
///
/// Contract: `sacked` stays sorted, disjoint and non-touching, within SND.UNA ... SND.MAX as last
/// given to `update`; it holds at most `maximumRanges` (beyond that the highest range gives way, which
/// can only make recovery retransmit a SACKed byte, never skip a lost one). At most
/// `maximumRetransmissions` retransmissions are watched (beyond that the oldest is forgotten and a
/// second loss of it waits for the RTO). Work per call is in proportion to the ranges and
/// retransmissions held. Times are nanoseconds of the slow path's clock; sequence comparisons are
/// modulo 2³² within one window.
struct SACKScoreboard {
    /// The most SACKed ranges kept.
    static let maximumRanges = 32
    /// The most retransmissions watched for a second loss.
    static let maximumRetransmissions = 64
    /// RFC 6675's DupThresh: a hole is lost when this many segments' worth of data above it is
    /// SACKed, less one (or this many separate SACKed ranges lie above it).
    static let duplicateThreshold: UInt32 = 3

    /// A SACKed range and when the slow path first saw any of it reported.
    struct SACKedRange {
        var start: SequenceNumber
        var end: SequenceNumber
        var reported: UInt64
    }

    /// A retransmission not yet acknowledged or SACKed: its bytes, when it was sent, SND.MAX then
    /// (every byte above was first sent after it) and its place in the order of retransmissions.
    struct Retransmission {
        var start: SequenceNumber
        var end: SequenceNumber
        var sent: UInt64
        var sendMaximum: SequenceNumber
        var order: UInt64
    }

    /// SACKed ranges above SND.UNA, ascending.
    private(set) var sacked: [SACKedRange] = []
    /// Retransmissions not yet delivered, in the order they were sent.
    private(set) var retransmissions: [Retransmission] = []
    /// RecoveryPoint: SND.MAX when recovery began; nil outside recovery.
    private(set) var recoveryPoint: SequenceNumber?
    /// HighRxt: everything below it in a hole was retransmitted in this recovery.
    private(set) var highestRetransmitted: SequenceNumber
    /// The most retransmitted bytes allowed in flight at once: half the flight when recovery began
    /// (RFC 6675's ssthresh), at least two segments.
    private(set) var retransmissionBudget: UInt32 = 0
    /// RACK.reordering_seen: a hole never retransmitted was delivered after bytes above it were SACKed.
    private(set) var reorderingSeen: Bool
    /// When RACK's time rule next turns a hole or a retransmission into a loss (the RACK reorder
    /// timer); nil when nothing waits on time. Set by `planReorderTimer`.
    private(set) var reorderDeadline: UInt64?
    /// The time, SND.UNA, SND.MAX and smoothed RTT (0: no sample, and no time rule) of the last `update`.
    private var now: UInt64 = 0
    private var unacknowledged: SequenceNumber
    private var sendMaximum: SequenceNumber
    private var roundTrip: UInt64 = 0
    /// The order given to the next retransmission, and the latest order delivered (RACK.xmit_ts
    /// among retransmissions: one sent before it and still undelivered was overtaken).
    private var nextOrder: UInt64 = 1
    private var latestDeliveredOrder: UInt64 = 0

    /// An empty scoreboard for a flow whose SND.UNA is `unacknowledged`, with what the flow already
    /// learned about reordering.
    init(unacknowledged: SequenceNumber, reorderingSeen: Bool = false) {
        self.unacknowledged = unacknowledged
        sendMaximum = unacknowledged
        highestRetransmitted = unacknowledged
        self.reorderingSeen = reorderingSeen
        sacked.reserveCapacity(Self.maximumRanges)
    }

    /// Takes the peer's latest SACK blocks and the acknowledged point at `now`: forgets what lies at
    /// or below `unacknowledged`, ignores blocks outside `unacknowledged ..< sendMaximum` (D-SACK
    /// blocks for duplicates, stale or forged ones), merges the rest in, retires the retransmissions
    /// now delivered and notes reordering. `roundTrip` is the flow's smoothed RTT (0: none yet).
    mutating func update(blocks: TCPSACKBlocks, unacknowledged: SequenceNumber, sendMaximum: SequenceNumber,
                         now: UInt64, roundTrip: UInt64) {
        // Unsacked bytes from `sentOnce` up to the highest SACKed one were sent once only, before the
        // SACKed bytes above them: their delivery now is reordering.
        let sentOnce = highestRetransmitted
        let highest = sacked.last?.end
        if let highest, sentOnce < unacknowledged, !isCovered(sentOnce, unacknowledged < highest ? unacknowledged : highest) {
            reorderingSeen = true
        }
        (self.now, self.unacknowledged, self.sendMaximum, self.roundTrip) = (now, unacknowledged, sendMaximum, roundTrip)
        sacked.removeAll { !(unacknowledged < $0.end) }
        if let first = sacked.first, first.start < unacknowledged { sacked[0].start = unacknowledged }
        for block in blocks where unacknowledged < block.leftEdge && block.leftEdge < block.rightEdge
                                  && !(sendMaximum < block.rightEdge) {
            if let highest, sentOnce < highest {
                let start = block.leftEdge < sentOnce ? sentOnce : block.leftEdge
                let end = highest < block.rightEdge ? highest : block.rightEdge
                if start < end && !isCovered(start, end) { reorderingSeen = true }
            }
            insert(start: block.leftEdge, end: block.rightEdge)
        }
        if let point = recoveryPoint, !(unacknowledged < point) { recoveryPoint = nil }
        if highestRetransmitted < unacknowledged { highestRetransmitted = unacknowledged }
        retireDelivered()
    }

    /// True when `start ..< end` (not empty) lies within one SACKed range.
    private func isCovered(_ start: SequenceNumber, _ end: SequenceNumber) -> Bool {
        sacked.contains { !(start < $0.start) && !($0.end < end) }
    }

    private mutating func insert(start: SequenceNumber, end: SequenceNumber) {
        var merged = SACKedRange(start: start, end: end, reported: now)
        // The first range ending at or after `start`; every touching one from there merges in.
        let index = sacked.firstIndex { !($0.end < start) } ?? sacked.endIndex
        while index < sacked.endIndex, !(merged.end < sacked[index].start) {
            if sacked[index].start < merged.start { merged.start = sacked[index].start }
            if merged.end < sacked[index].end { merged.end = sacked[index].end }
            merged.reported = min(merged.reported, sacked[index].reported)
            sacked.remove(at: index)
        }
        sacked.insert(merged, at: index)
        if sacked.count > Self.maximumRanges { sacked.removeLast() }
    }

    /// Drops the retransmissions wholly acknowledged or SACKed, noting the latest delivered; trims
    /// what SND.UNA passed from the others.
    private mutating func retireDelivered() {
        var index = 0
        while index < retransmissions.count {
            if retransmissions[index].start < unacknowledged { retransmissions[index].start = unacknowledged }
            let retransmission = retransmissions[index]
            if !(unacknowledged < retransmission.end) || isCovered(retransmission.start, retransmission.end) {
                latestDeliveredOrder = max(latestDeliveredOrder, retransmission.order)
                retransmissions.remove(at: index)
            } else {
                index += 1
            }
        }
    }

    /// True while in loss recovery.
    var inRecovery: Bool { recoveryPoint != nil }

    /// True when nothing above SND.UNA is SACKed, no retransmission is outstanding and recovery is
    /// over: the scoreboard can go.
    var isIdle: Bool { sacked.isEmpty && retransmissions.isEmpty && recoveryPoint == nil }

    /// RACK's reordering window (RFC 8985 §6.2 step 4, without its D-SACK growth): none while no
    /// reordering was seen and the flow is in recovery or more than (DupThresh − 1) segments' worth
    /// is SACKed; else a quarter of the RTT (the RFC takes the minimum RTT; the smoothed one is no
    /// smaller, so this waits no less).
    func reorderWindow(segmentSize: UInt32) -> UInt64 {
        if !reorderingSeen {
            if inRecovery { return 0 }
            var bytes: UInt32 = 0
            for range in sacked { bytes &+= UInt32(range.end - range.start) }
            if bytes > (Self.duplicateThreshold - 1) * segmentSize { return 0 }
        }
        return roundTrip / 4
    }

    /// When the earliest SACK above `sequence` was first seen (nil: none above it).
    private func earliestReport(above sequence: SequenceNumber) -> UInt64? {
        var earliest: UInt64?
        for range in sacked.reversed() {
            guard sequence < range.end else { break }
            earliest = min(earliest ?? .max, range.reported)
        }
        return earliest
    }

    /// A hole byte `sequence`, sent once, is lost: RFC 6675 IsLost (the SACKed bytes above it exceed
    /// (DupThresh − 1) × MSS, or DupThresh separate ranges lie above it), or RACK's time rule (with
    /// an RTT sample: a SACK above it was first seen at least the reordering window ago).
    func isLost(_ sequence: SequenceNumber, segmentSize: UInt32) -> Bool {
        var bytes: UInt32 = 0
        var ranges: UInt32 = 0
        for range in sacked.reversed() {
            guard sequence < range.end else { break }
            bytes &+= UInt32(range.end - (range.start < sequence ? sequence : range.start))
            ranges &+= 1
        }
        if bytes > (Self.duplicateThreshold - 1) * segmentSize || ranges >= Self.duplicateThreshold { return true }
        guard roundTrip > 0, let reported = earliestReport(above: sequence) else { return false }
        return reported &+ reorderWindow(segmentSize: segmentSize) <= now
    }

    /// True when RACK's time rule finds `retransmission` lost: something sent after it was
    /// delivered (new bytes above its SND.MAX SACKed, or a later retransmission acknowledged or
    /// SACKed), and an RTT plus the reordering window has passed since it was sent.
    private func isLost(_ retransmission: Retransmission, window: UInt64) -> Bool {
        overtaken(retransmission) && retransmission.sent &+ roundTrip &+ window <= now
    }

    /// Something sent after `retransmission` was delivered.
    private func overtaken(_ retransmission: Retransmission) -> Bool {
        guard roundTrip > 0 else { return false }
        return latestDeliveredOrder > retransmission.order || sacked.last.map { retransmission.sendMaximum < $0.end } == true
    }

    /// Enters recovery (RFC 6675 §5) when not in it already: RecoveryPoint = SND.MAX, the
    /// retransmission budget half of `flight` (at least two segments). HighRxt stays where an
    /// earlier recovery left it (RFC 6675 sets it to SND.UNA to send lost retransmissions again;
    /// here RACK finds those, so what is still in flight is not sent twice).
    mutating func enterRecovery(flight: UInt32, segmentSize: UInt32) {
        guard recoveryPoint == nil else { return }
        recoveryPoint = sendMaximum
        retransmissionBudget = max(flight / 2, 2 * segmentSize)
    }

    /// True when the bytes at SND.UNA count as lost (`isLost`, or RACK's rule for their
    /// retransmission when they were retransmitted), or any retransmission was lost again: reason
    /// to enter recovery.
    func detectsLoss(segmentSize: UInt32) -> Bool {
        let window = reorderWindow(segmentSize: segmentSize)
        if retransmissions.contains(where: { isLost($0, window: window) }) { return true }
        guard unacknowledged < highestRetransmitted else { return isLost(unacknowledged, segmentSize: segmentSize) }
        return false
    }

    /// Retransmitted bytes that may still be in the network: those below HighRxt in the holes
    /// (neither acknowledged nor SACKed since).
    func retransmittedInFlight() -> UInt32 {
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

    /// The first byte at or above HighRxt that is neither SACKed nor above the highest SACKed
    /// (nil: none); with `first`, the byte at SND.UNA or HighRxt even when nothing is SACKed.
    private func nextHole(first: Bool) -> SequenceNumber? {
        var candidate = highestRetransmitted < unacknowledged ? unacknowledged : highestRetransmitted
        for range in sacked {
            if candidate < range.start { return candidate }
            if candidate < range.end { candidate = range.end }
        }
        return first && sacked.isEmpty ? candidate : nil
    }

    /// What to send now, in recovery: first a retransmission RACK finds lost again (sent again
    /// whatever the budget: it no longer counts as in flight), then by RFC 6675 NextSeg() rule (1)
    /// within the retransmission budget the first bytes at or above HighRxt that are neither SACKed
    /// nor above the highest SACKed and that `isLost` — at most `segmentSize` of them, up to the next
    /// SACKed range; nil when there are none (or the budget is used). `first` retransmits the hole at
    /// SND.UNA whether lost or not (the first retransmission on entering recovery). `again` tells a
    /// retransmission sent again. Records what it returns as a retransmission sent now; moves HighRxt
    /// past a hole it returns.
    mutating func nextRetransmission(segmentSize: UInt32, first: Bool) -> (sequence: SequenceNumber, length: UInt32, again: Bool)? {
        guard inRecovery else { return nil }
        let window = reorderWindow(segmentSize: segmentSize)
        if let index = retransmissions.firstIndex(where: { isLost($0, window: window) }) {
            let again = retransmissions.remove(at: index)
            record(start: again.start, end: again.end)
            return (again.start, UInt32(again.end - again.start), true)
        }
        guard first || retransmittedInFlight() < retransmissionBudget, let candidate = nextHole(first: first),
              first || isLost(candidate, segmentSize: segmentSize) else { return nil }
        let room = sacked.first { candidate < $0.start }.map { UInt32($0.start - candidate) } ?? segmentSize
        let length = min(room, segmentSize)
        highestRetransmitted = candidate + length
        record(start: candidate, end: candidate + length)
        return (candidate, length, false)
    }

    /// Keeps the record of a retransmission sent now.
    private mutating func record(start: SequenceNumber, end: SequenceNumber) {
        if retransmissions.count == Self.maximumRetransmissions { retransmissions.removeFirst() }
        retransmissions.append(Retransmission(start: start, end: end, sent: now, sendMaximum: sendMaximum, order: nextOrder))
        nextOrder &+= 1
    }

    /// Sets `reorderDeadline`: the earliest time RACK's time rule turns the next hole to retransmit,
    /// or an overtaken retransmission, into a loss (nil: none waits on time, or no RTT sample).
    mutating func planReorderTimer(segmentSize: UInt32) {
        reorderDeadline = nil
        guard roundTrip > 0 else { return }
        let window = reorderWindow(segmentSize: segmentSize)
        var deadline = UInt64.max
        if let hole = nextHole(first: false), !isLost(hole, segmentSize: segmentSize), let reported = earliestReport(above: hole) {
            deadline = reported &+ window
        }
        for retransmission in retransmissions where overtaken(retransmission) {
            let due = retransmission.sent &+ roundTrip &+ window
            // One already due waits for recovery (`nextRetransmission` sends those first).
            if now < due { deadline = min(deadline, due) }
        }
        if deadline != .max { reorderDeadline = deadline }
    }
}
