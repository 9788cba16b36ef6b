import FlexWire

// Which segments of an established flow the fast path may act on, before any of their content is
// used: PAWS (RFC 7323 §5.3 R1) and the ACK field (RFC 9293 §3.10.7.4 "fifth", RFC 5961 §5.2); the
// ACK that answers a segment dropped for either; and TS.Recent's update (RFC 7323 §4.3, R3).
//
// Answers are rate limited per flow for dataless segments only, as Linux does (tcp_oow_rate_limited):
// two ends that disagree about the sequence space would otherwise bounce pure ACKs at line rate (an
// ACK war), while our answer to a data segment carries no data and so cannot start one — and it is
// what tells a real peer where we are. Per flow, not one budget for the host, so that an attacker
// can neither use up the budget to silence other connections' answers nor count them (the side
// channel of a global challenge-ACK limit, CVE-2016-5696). Constant time: one 16-bit time per flow.
extension FastPath {
    /// A wrapping clock in 2^24 ns (≈ 16.8 ms) units, for `FlowState.lastAnswerTime`.
    static func answerClock(_ now: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: now >> 24) }

    /// The least time between two answers to a flow's dataless unacceptable segments, in
    /// `answerClock` units: 30 ≈ 0.5 s (Linux's tcp_invalid_ratelimit default).
    static let answerInterval: UInt16 = 30

    /// The clock TS.Recent's age is kept in (`FlowState.timestampRecentTime`): 2^30 ns (≈ 1.07 s) units.
    static func timestampAgeClock(_ now: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: now >> 30) }

    /// RFC 7323 §5.5: a TS.Recent set more than 24 days ago is no longer valid, in `timestampAgeClock` units.
    static let timestampRecentLifetime = UInt32((24 * 86_400 * 1_000_000_000 as UInt64) >> 30)

    /// Why `segment` must be dropped unused (nil: it is acceptable), in RFC 7323's order: its
    /// timestamp is older than a valid TS.Recent (R1); it lies outside the receive window (RFC 9293
    /// "first, check sequence number"); or its ACK field lies outside SND.UNA − MAX.SND.WND ... SND.MAX.
    ///
    /// The window test is Linux's (tcp_sequence): a segment is unacceptable when it ends before
    /// RCV.NXT (SEG.SEQ + SEG.LEN, a FIN counting one) or starts beyond RCV.NXT + RCV.WND. So a
    /// keep-alive or zero-window probe at RCV.NXT − 1 is answered without its ACK field being used,
    /// while data at RCV.NXT into a zero window is acceptable (its ACK is processed, the text
    /// dropped), which is RFC 9293's "special allowance" for valid ACKs when RCV.WND is zero.
    @inline(__always)
    func rejection(of segment: ReceivedSegment, state: UnsafePointer<FlowState>, now: UInt64) -> FastPathVerdict? {
        if let timestamps = segment.timestamps, state.pointee.options.contains(.timestamps),
           Int32(bitPattern: timestamps.value &- state.pointee.timestampRecent) < 0,
           FastPath.timestampAgeClock(now) &- state.pointee.timestampRecentTime <= FastPath.timestampRecentLifetime {
            return .timestampTooOld
        }
        let offset = Int64(segment.sequence - state.pointee.receiveNext)
        let end = offset &+ Int64(segment.payloadLength) &+ (segment.flags.contains(.fin) ? 1 : 0)
        if end < 0 || offset > Int64(state.pointee.receiveSpace) { return .outOfWindow }
        let advance = segment.acknowledgment - state.pointee.sendUnacknowledged
        if advance > 0 && advance.magnitude > state.pointee.sentExtent { return .acknowledgesUnsent }
        if advance < 0 && advance.magnitude > state.pointee.maximumPeerWindow { return .acknowledgmentTooOld }
        return nil
    }

    /// Answers a dropped segment with an ACK of our current SND.NXT and RCV.NXT (with SACK, a D-SACK
    /// block for text we already hold); for a dataless segment at most once per `answerInterval` per
    /// flow (see above). Returns whether it answered.
    @discardableResult
    func answerUnacceptable(_ segment: ReceivedSegment, flow: FlowIndex, state: UnsafeMutablePointer<FlowState>, now: UInt64) -> Bool {
        if segment.payloadLength == 0 {
            let time = FastPath.answerClock(now)
            guard time &- state.pointee.lastAnswerTime >= FastPath.answerInterval else {
                answersSuppressed &+= 1
                return false
            }
            state.pointee.lastAnswerTime = time
        }
        sendAcknowledgment(state, flags: .ack, now: now, duplicate: duplicateBlock(segment, flow: flow, state: state))
        return true
    }

    /// R3: an acceptable segment that reaches RCV.NXT sets TS.Recent (SEG.SEQ ≤ Last.ACK.sent, which
    /// is RCV.NXT here since every segment that moves RCV.NXT is acknowledged at once; TSval ≥ TS.Recent
    /// already holds unless TS.Recent had expired, and then any TSval is taken). Call before the
    /// segment's payload moves RCV.NXT.
    @inline(__always)
    func updateTimestampRecent(_ segment: ReceivedSegment, state: UnsafeMutablePointer<FlowState>, now: UInt64) {
        guard let timestamps = segment.timestamps, state.pointee.options.contains(.timestamps) else { return }
        let offset = segment.sequence - state.pointee.receiveNext
        let reachesReceiveNext = segment.payloadLength == 0
            ? offset == 0
            : offset <= 0 && Int64(offset) &+ Int64(segment.payloadLength) > 0
        guard reachesReceiveNext else { return }
        state.pointee.timestampRecent = timestamps.value
        state.pointee.timestampRecentTime = FastPath.timestampAgeClock(now)
    }

    /// The sequence number of the peer's FIN once one is known — taken (RCV.NXT − 1) or held after
    /// the highest out-of-order interval (its end); nil before. No byte of the stream lies there or beyond.
    @inline(__always)
    func peerFINSequence(flow: FlowIndex, state: UnsafePointer<FlowState>) -> SequenceNumber? {
        let flags = state.pointee.closeFlags
        if flags.contains(.peerFinished) { return state.pointee.receiveNext - 1 }
        if flags.contains(.peerFinAfterInterval) {
            return outOfOrder[Int(flow)].highestEnd(count: state.pointee.outOfOrderCount)
        }
        return nil
    }
}
