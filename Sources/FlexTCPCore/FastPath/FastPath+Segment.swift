import FlexWire

extension FastPath {
    /// The per-segment TCP work for an established flow (dissertation A.1 `Fast_path`, with
    /// window scaling, optional timestamps and receive-window trimming added).
    /// A segment PAWS or its ACK field makes unacceptable is dropped and answered
    /// (`FastPath+Acceptance.swift`). A FIN that is in order is taken here (RCV.NXT moves past it, it
    /// is ACKed and reported); a FIN after the peer's FIN was taken (a retransmission) has its ACK field
    /// processed here and then goes to the slow path, which answers it and restarts TIME-WAIT.
    func handle(_ segment: ReceivedSegment, flow: FlowIndex, state: UnsafeMutablePointer<FlowState>, now: UInt64) -> FastPathVerdict {
        let repeatsFIN = segment.flags.contains(.fin) && state.pointee.closeFlags.contains(.peerFinished)
        if let rejected = rejection(of: segment, state: UnsafePointer(state), now: now) {
            answerUnacceptable(segment, flow: flow, state: state, now: now)
            return rejected
        }
        if segment.flags.contains(.ece) && state.pointee.options.contains(.explicitCongestionNotification) {
            state.pointee.congestionWindowReducedDue = true
        }
        updateTimestampRecent(segment, state: state, now: now)
        var acknowledged: UInt32 = 0
        var reported: FlowCloseFlags = []

        // Acknowledgment: SND.UNA < ACK <= SND.MAX (`rejection` checked the upper bound; after a
        // go-back-N rewind SND.MAX is beyond SND.NXT, and the peer may acknowledge pending ring bytes).
        let advance = segment.acknowledgment - state.pointee.sendUnacknowledged
        if advance > 0 {
            let outstanding = state.pointee.transmitByteCount
            acknowledged = min(advance.magnitude, outstanding)
            // Our FIN follows the last ring byte: an ACK one past it acknowledges the FIN too.
            if advance.magnitude > outstanding {
                state.pointee.closeFlags.remove(.finInFlight)
                state.pointee.closeFlags.insert(.finAcknowledged)
                reported.insert(.finAcknowledged)
            }
            state.pointee.sendUnacknowledged = segment.acknowledgment
            // SACK information at or below SND.UNA is stale: drop it once SND.UNA reaches SND.FACK, so
            // that it cannot look new again when the sequence space wraps (2^31 bytes on).
            if !(segment.acknowledgment < state.pointee.highestSelectivelyAcknowledged) {
                state.pointee.highestSelectivelyAcknowledged = segment.acknowledgment
                if !peerSACKBlocks[Int(flow)].isEmpty { peerSACKBlocks[Int(flow)] = TCPSACKBlocks() }
            }
            state.pointee.rewoundExtent = state.pointee.rewoundExtent > advance.magnitude ? state.pointee.rewoundExtent &- advance.magnitude : 0
            state.pointee.transmitHead = state.pointee.transmitRingPosition(fromHead: acknowledged)
            if acknowledged <= state.pointee.transmitSent {
                state.pointee.transmitSent &-= acknowledged
            } else {
                state.pointee.transmitPending &-= acknowledged &- state.pointee.transmitSent
                state.pointee.transmitSent = 0
            }
            state.pointee.duplicateAcknowledgments = 0
            state.pointee.ackedBytes &+= acknowledged
            if segment.flags.contains(.ece) { state.pointee.ecnMarkedBytes &+= acknowledged }
            if let echo = segment.timestamps?.echoReply, echo != 0 {
                updateRoundTrip(state, sampleMicroseconds: FastPath.timestampClock(now) &- echo)
            }
        } else if advance == 0 && segment.payloadLength == 0 && !segment.flags.contains(.fin) && state.pointee.transmitSent > 0
                    && UInt32(segment.window) << UInt32(state.pointee.sendWindowShift) == state.pointee.peerWindow {
            state.pointee.duplicateAcknowledgments &+= 1
            if state.pointee.duplicateAcknowledgments == 3 {
                // With SACK and a slow path on this thread, the slow path's scoreboard retransmits
                // the holes (`SlowPath+SelectiveRecovery.swift`); otherwise go back to SND.UNA.
                if !recoversSelectively(state) { rewindTransmission(state) }
                state.pointee.fastRetransmits &+= 1
            }
        }
        updatePeerWindow(segment, advance: advance, state: state)

        let duplicate = duplicateBlock(segment, flow: flow, state: state)
        let hadGap = state.pointee.outOfOrderCount > 0
        let (verdict, delivered, position) = placePayload(segment, flow: flow, state: state)
        let segmentEnd = segment.sequence + segment.payloadLength
        let finishes = segment.flags.contains(.fin) && segmentEnd == state.pointee.receiveNext
            && !state.pointee.closeFlags.contains(.peerFinAfterInterval)
        if finishes || (state.pointee.closeFlags.contains(.peerFinAfterInterval) && state.pointee.outOfOrderCount == 0) {
            // In order, or held after the interval that this segment just joined to the stream; intervals
            // left beyond a FIN that carried no text hold no byte of the stream either.
            state.pointee.outOfOrderCount = 0
            state.pointee.receiveNext += 1
            state.pointee.closeFlags.remove(.peerFinAfterInterval)
            state.pointee.closeFlags.insert(.peerFinished)
            reported.insert(.peerFinished)
            receivingFlowsChanged(by: -1)
        } else if segment.flags.contains(.fin) && state.pointee.outOfOrderCount > 0
                    && !state.pointee.closeFlags.contains(.peerFinAfterInterval)
                    && outOfOrder[Int(flow)].endAll(at: segmentEnd, count: &state.pointee.outOfOrderCount) {
            // The FIN is held after the interval that reaches it; what was held beyond it (a peer
            // that sent bytes past its own FIN) is no byte of the stream.
            state.pointee.closeFlags.insert(.peerFinAfterInterval)
        }

        if delivered > 0 || acknowledged > 0 || !reported.isEmpty {
            postEvent(FlowEvent(opaque: state.pointee.opaque, flow: flow, context: state.pointee.context,
                                receivedPosition: position, receivedBytes: delivered, acknowledgedBytes: acknowledged,
                                closeFlags: reported))
        }
        // A fast retransmit rewound the ring, or the window opened for a flow the queue manager
        // dropped as blocked: whatever may be sent now must be queued.
        queueSendable(flow, state, now: now)
        if repeatsFIN && verdict != .dataAfterFIN { return .exception }
        // Data and FINs are ACKed (empty segments below RCV.NXT, such as keep-alives, were answered by
        // `rejection`). Text after the peer's FIN is not (see `placePayload`), except in TIME-WAIT —
        // both FINs done — where Linux answers it with an ACK of RCV.NXT (tcp_timewait_state_process).
        if verdict == .dataAfterFIN {
            if state.pointee.closeFlags.isSuperset(of: [.peerFinished, .finAcknowledged]) {
                answerUnacceptable(segment, flow: flow, state: state, now: now)
            }
        } else if segment.payloadLength > 0 || segment.flags.contains(.fin) {
            let inOrder = !hadGap && state.pointee.outOfOrderCount == 0 && delivered == segment.payloadLength
                && !segment.flags.contains(.fin)
            if inOrder && duplicate == nil && !segment.congestionExperienced && !state.pointee.acknowledgmentOwed
                && configuration.delaysAcknowledgments && delayedAcknowledgments.hold(flow) {
                state.pointee.acknowledgmentOwed = true
            } else {
                sendAcknowledgment(state, flags: segment.congestionExperienced ? [.ack, .ece] : .ack, now: now, duplicate: duplicate)
            }
        }
        return verdict
    }

    /// Takes the segment's window as the peer's when its ACK is not old (SND.UNA ≤ SEG.ACK) and it is
    /// not older than the segment that last set it (RFC 9293 §3.10.7.4: SND.WL1 < SEG.SEQ, or equal
    /// and SND.WL2 ≤ SEG.ACK — which always holds here, as SND.WL2 ≤ SND.UNA ≤ SEG.ACK, so SND.WL2 is
    /// not kept). A segment whose ACK moves SND.UNA was sent after every segment seen so far, so its
    /// window always counts, whatever its sequence number. With SEG.SEQ = SND.WL1 and SND.UNA unmoved,
    /// two window updates may have been reordered, so only a larger window or a zero one is taken
    /// (Linux's tcp_may_update_window).
    @inline(__always)
    func updatePeerWindow(_ segment: ReceivedSegment, advance: Int32, state: UnsafeMutablePointer<FlowState>) {
        let window = UInt32(segment.window) << UInt32(state.pointee.sendWindowShift)
        let lastUpdate = state.pointee.windowUpdateSequence
        guard advance > 0
            || (advance == 0 && (lastUpdate < segment.sequence
                                 || (segment.sequence == lastUpdate && (window > state.pointee.peerWindow || window == 0))))
        else { return }
        state.pointee.peerWindow = window
        state.pointee.windowUpdateSequence = segment.sequence
        if window > state.pointee.maximumPeerWindow { state.pointee.maximumPeerWindow = window }
    }

    /// The D-SACK block (RFC 2883 §4) for payload we already hold: the part below RCV.NXT, or the
    /// whole segment when one out-of-order interval holds all of it; nil without SACK or when the
    /// segment brings something new (a partial overlap with an interval is not reported).
    @inline(__always)
    func duplicateBlock(_ segment: ReceivedSegment, flow: FlowIndex, state: UnsafeMutablePointer<FlowState>) -> TCPSACKBlock? {
        let receiveNext = state.pointee.receiveNext
        guard segment.payloadLength > 0, state.pointee.options.contains(.selectiveAcknowledgment) else { return nil }
        let end = segment.sequence + segment.payloadLength
        if segment.sequence < receiveNext {
            return TCPSACKBlock(leftEdge: segment.sequence, rightEdge: end < receiveNext ? end : receiveNext)
        }
        guard state.pointee.outOfOrderCount > 0,
              outOfOrder[Int(flow)].contains(start: segment.sequence, end: end, count: state.pointee.outOfOrderCount) else { return nil }
        return TCPSACKBlock(leftEdge: segment.sequence, rightEdge: end)
    }

    /// Places a segment's payload: in order into the ring (absorbing the out-of-order intervals the
    /// new bytes reach), or into an out-of-order interval. Returns the verdict and the newly
    /// deliverable bytes with their ring position.
    @inline(__always)
    func placePayload(_ segment: ReceivedSegment, flow: FlowIndex, state: UnsafeMutablePointer<FlowState>) -> (FastPathVerdict, UInt32, UInt32) {
        var length = segment.payloadLength
        guard length > 0 else { return (.handled, 0, 0) }
        var payload = segment.payload
        var offset = segment.sequence - state.pointee.receiveNext
        if offset < 0 {
            // Starts before RCV.NXT: a retransmission; keep only the new part.
            let old = UInt32(truncatingIfNeeded: -Int64(offset))
            guard old < length else { return (.handled, 0, 0) }
            payload += Int(old)
            length &-= old
            offset = 0
        }
        let space = state.pointee.receiveSpace
        guard UInt32(offset) < space else { return (.outOfWindow, 0, 0) }
        length = min(length, space &- UInt32(offset))
        // No byte of the stream lies at or beyond the peer's FIN (RFC 9293: text after a FIN is
        // ignored). Such text is dropped without an ACK, as Linux does in CLOSE-WAIT, CLOSING and
        // LAST-ACK (tcp_rcv_state_process) and as RFC 9293 says for acceptable segments; `handle`
        // answers it in TIME-WAIT, as Linux does.
        if let fin = peerFINSequence(flow: flow, state: state) {
            let beforeFIN = fin - (state.pointee.receiveNext + UInt32(offset))
            guard beforeFIN > 0 else { return (.dataAfterFIN, 0, 0) }
            length = min(length, beforeFIN.magnitude)
        }
        let ring = PayloadRing(base: payloadRegion + Int(state.pointee.receiveRingOffset), size: state.pointee.receiveRingSize)
        let writePosition = state.pointee.receiveRingPosition(fromHead: UInt32(offset))

        if offset > 0 {
            let start = state.pointee.receiveNext + UInt32(offset)
            guard outOfOrder[Int(flow)].insert(start: start, end: start + length, count: &state.pointee.outOfOrderCount) else {
                return (.outOfOrderFull, 0, 0)
            }
            ring.write(payload, count: length, at: writePosition)
            return (.handled, 0, 0)
        }
        ring.write(payload, count: length, at: writePosition)
        var delivered = length
        let end = state.pointee.receiveNext + length
        if segment.flags.contains(.fin) && end == segment.sequence + segment.payloadLength
            && !state.pointee.closeFlags.contains(.peerFinAfterInterval) {
            // The stream ends here: out-of-order intervals beyond the FIN hold no byte of it
            // (Linux's tcp_fin purges its out-of-order queue the same way).
            state.pointee.outOfOrderCount = 0
        } else if state.pointee.outOfOrderCount > 0 {
            // Every interval the new bytes reach is now in order, and whatever those reach in turn.
            let reached = outOfOrder[Int(flow)].absorb(upTo: end, count: &state.pointee.outOfOrderCount)
            delivered = UInt32(reached - state.pointee.receiveNext)
        }
        let position = state.pointee.receiveHead
        state.pointee.receiveHead = state.pointee.receiveRingPosition(fromHead: delivered)
        state.pointee.receiveSpace &-= delivered
        state.pointee.receiveNext += delivered
        return (.handled, delivered, position)
    }

    func updateRoundTrip(_ state: UnsafeMutablePointer<FlowState>, sampleMicroseconds: UInt32) {
        // Ignore absurd samples (a peer echoing garbage): more than ~1 minute.
        guard sampleMicroseconds < 60_000_000 else { return }
        let previous = state.pointee.roundTripMicroseconds
        state.pointee.roundTripMicroseconds = previous == 0
            ? max(sampleMicroseconds, 1)
            : UInt32((UInt64(previous) &* 7 &+ UInt64(sampleMicroseconds)) / 8)
    }

    func postEvent(_ event: FlowEvent) {
        guard eventCount < events.count else {
            eventOverflows &+= 1
            return
        }
        events[eventCount] = event
        eventCount &+= 1
    }

    /// The timestamp clock of our TSval: microseconds, wrapping.
    static func timestampClock(_ now: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: now / 1000) }
}
