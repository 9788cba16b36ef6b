import FlexWire

// SACK-based loss recovery (RFC 6675) in the slow path. The fast path stays constant-time: it
// counts duplicate ACKs, keeps the SACK blocks of the peer's latest segment that carried any, and
// — with SACK negotiated — no longer goes back to SND.UNA on the third duplicate ACK. A slow path on
// the fast path's thread reads the blocks and asks for retransmissions by direct calls; one on a
// thread of its own reads the blocks from the flow's published snapshot and asks with a
// `FlowCommand` (`FastPathLink`). Here, for each flow it reported changed, the blocks go into the flow's
// scoreboard (made when the peer first reports a block above SND.UNA, dropped when recovery is
// over and nothing is SACKed or retransmitted), recovery starts on the third duplicate ACK or when
// the bytes at SND.UNA count as lost (RFC 6675's rule or RACK's time rule, RFC 8985), and the holes
// that count as lost are retransmitted, each once per recovery, with the retransmitted bytes in
// flight bounded by half the flight at its start (the rate limiter paces new data; this bounds what
// recovery adds to it). A retransmission lost again is sent again once RACK's rule finds it lost
// (something sent after it delivered, an RTT plus the reordering window gone by), not after the
// RTO. When only time stands between a hole (or a retransmission) and its loss, the scoreboard's
// reorder deadline wakes the connection (`SlowPath+Timers.swift`). The retransmission timeout goes
// back to SND.UNA and drops the scoreboard.

/// What the slow path's SACK recovery asks of the fast path: the peer's latest SACK blocks and
/// retransmission of a range. `FastPath` and the runtime's `FastPathControl` offer it on the fast
/// path's thread, `FastPathLink` across threads (blocks from the snapshots, a command per range).
package protocol SelectiveRecoveryControl: AnyObject {
    /// The SACK blocks of the peer's latest segment that carried any (stale ones lie below SND.UNA).
    func selectiveAcknowledgments(of flow: FlowIndex) -> TCPSACKBlocks
    /// Sends `length` sent-and-unacknowledged bytes from `sequence` again, in segments of at most one MSS.
    func retransmit(flow: FlowIndex, sequence: SequenceNumber, length: UInt32, now: UInt64)
}

extension FastPath: SelectiveRecoveryControl {}

extension SlowPath {
    /// Brings the flow's scoreboard up to date with the peer's latest SACK blocks and retransmits
    /// what recovery calls for (see above); schedules the connection's wake-up for the scoreboard's
    /// reorder deadline. Does nothing for a flow without SACK, or when the fast path does not offer
    /// selective recovery.
    func recoverSelectively(_ flow: FlowIndex, now: UInt64) {
        guard selectiveRecovery != nil, let state = flows.state(of: flow) else { return }
        recoverSelectively(flow, state: state, now: now)
    }

    /// `recoverSelectively(_:now:)` with the flow's fast-path state as read just before (for a
    /// caller that has it already).
    func recoverSelectively(_ flow: FlowIndex, state: FlowState, now: UInt64) {
        guard let recovery = selectiveRecovery, state.options.contains(.selectiveAcknowledgment) else { return }
        let unacknowledged = state.sendUnacknowledged
        let lossSignalled = state.duplicateAcknowledgments >= 3
        // A flow without losses costs this: nothing SACKed above SND.UNA, no duplicate ACKs, no scoreboard.
        guard scoreboards[Int(flow)] != nil || lossSignalled || unacknowledged < state.highestSelectivelyAcknowledged else { return }
        let blocks = recovery.selectiveAcknowledgments(of: flow)
        // Taken out of the array, so that updating it does not copy its storage (the array would still share it).
        var scoreboard = scoreboards[Int(flow)].take()
            ?? SACKScoreboard(unacknowledged: unacknowledged, reorderingSeen: connections[Int(flow)]?.reorderingSeen ?? false)
        scoreboard.update(blocks: blocks, unacknowledged: unacknowledged, sendMaximum: unacknowledged + state.sentExtent, now: now,
                          roundTrip: UInt64(state.roundTripMicroseconds) &* 1000)
        let segmentSize = UInt32(state.maximumSegmentSize)
        var first = false
        if !scoreboard.inRecovery && state.transmitSent > 0 && (lossSignalled || scoreboard.detectsLoss(segmentSize: segmentSize)) {
            scoreboard.enterRecovery(flight: state.transmitSent, segmentSize: segmentSize)
            counters.selectiveRecoveries &+= 1
            // Begun by what a tail loss probe drew from the peer.
            if connections[Int(flow)]?.probedUnacknowledged == unacknowledged { counters.probeRecoveries &+= 1 }
            first = true
        }
        while let hole = scoreboard.nextRetransmission(segmentSize: segmentSize, first: first) {
            recovery.retransmit(flow: flow, sequence: hole.sequence, length: hole.length, now: now)
            counters.selectiveRetransmissions &+= 1
            if hole.again { counters.lostRetransmissions &+= 1 }
            first = false
        }
        scoreboard.planReorderTimer(segmentSize: segmentSize)
        if scoreboard.reorderingSeen { connections[Int(flow)]?.reorderingSeen = true }
        let waitsOnTime = scoreboard.reorderDeadline != nil
        scoreboards[Int(flow)] = scoreboard.isIdle ? nil : scoreboard
        if waitsOnTime { scheduleTimer(flow, now: now) }
    }
}
