import FlexWire

extension FastPath {
    /// The per-segment TCP work for an established flow (dissertation A.1 `Fast_path`, with
    /// window scaling, optional timestamps and receive-window trimming added).
    /// A FIN that is in order is taken here (RCV.NXT moves past it, it is ACKed and reported);
    /// a FIN after the peer's FIN was taken (a retransmission) goes to the slow path.
    func handle(_ segment: ReceivedSegment, flow: FlowIndex, state: UnsafeMutablePointer<FlowState>, now: UInt64) -> FastPathVerdict {
        if segment.flags.contains(.fin) && state.pointee.closeFlags.contains(.peerFinished) { return .exception }
        if segment.flags.contains(.ece) && state.pointee.options.contains(.explicitCongestionNotification) {
            state.pointee.congestionWindowReducedDue = true
        }
        var acknowledged: UInt32 = 0
        var reported: FlowCloseFlags = []

        // Acknowledgment: SND.UNA < ACK <= SND.UNA + bytes the ring holds (after a go-back-N rewind the
        // peer may acknowledge data beyond what is currently counted as sent).
        let advance = segment.acknowledgment - state.pointee.sendUnacknowledged
        let outstanding = state.pointee.transmitSent &+ state.pointee.transmitPending
        // Our FIN follows the last ring byte: an ACK one past it acknowledges the FIN too.
        let coversFIN = advance > 0 && UInt32(advance) == outstanding &+ 1
            && state.pointee.closeFlags.contains(.finQueued) && !state.pointee.closeFlags.contains(.finAcknowledged)
        if advance > 0 && (UInt32(advance) <= outstanding || coversFIN) {
            acknowledged = coversFIN ? outstanding : UInt32(advance)
            if coversFIN {
                state.pointee.closeFlags.remove(.finInFlight)
                state.pointee.closeFlags.insert(.finAcknowledged)
                reported.insert(.finAcknowledged)
            }
            state.pointee.sendUnacknowledged = segment.acknowledgment
            let ring = state.pointee.transmitRingSize
            state.pointee.transmitHead = PayloadRing.advance(state.pointee.transmitHead, by: acknowledged, size: ring)
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
                rewindTransmission(state)
                state.pointee.fastRetransmits &+= 1
            }
        }
        if advance >= 0 {
            state.pointee.peerWindow = UInt32(segment.window) << UInt32(state.pointee.sendWindowShift)
        }

        let duplicate = duplicateBlock(segment, state: state)
        let (verdict, delivered, position) = placePayload(segment, state: state)
        let segmentEnd = segment.sequence + segment.payloadLength
        let finishes = segment.flags.contains(.fin) && segmentEnd == state.pointee.receiveNext
        if finishes || (state.pointee.closeFlags.contains(.peerFinAfterInterval) && state.pointee.outOfOrderLength == 0) {
            // In order, or held after the interval that this segment just joined to the stream.
            state.pointee.receiveNext += 1
            state.pointee.closeFlags.remove(.peerFinAfterInterval)
            state.pointee.closeFlags.insert(.peerFinished)
            reported.insert(.peerFinished)
            receivingFlowsChanged(by: -1)
        } else if segment.flags.contains(.fin) && state.pointee.outOfOrderLength > 0
                    && segmentEnd == state.pointee.outOfOrderStart + state.pointee.outOfOrderLength {
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
        // Data and FINs are ACKed; so is an empty segment below RCV.NXT (a zero-window or keep-alive probe).
        if segment.payloadLength > 0 || segment.flags.contains(.fin) || segment.sequence - state.pointee.receiveNext < 0 {
            sendAcknowledgment(state, flags: segment.congestionExperienced ? [.ack, .ece] : .ack, now: now, duplicate: duplicate)
        }
        return verdict
    }

    /// The D-SACK block (RFC 2883 §4) for payload below RCV.NXT, which we already hold: nil without
    /// SACK or when the segment brings nothing old. Duplicates inside the out-of-order interval are
    /// not reported (only one interval is kept, so they are rare and finding them costs more).
    func duplicateBlock(_ segment: ReceivedSegment, state: UnsafeMutablePointer<FlowState>) -> TCPSACKBlock? {
        let receiveNext = state.pointee.receiveNext
        guard segment.payloadLength > 0, segment.sequence < receiveNext,
              state.pointee.options.contains(.selectiveAcknowledgment) else { return nil }
        let end = segment.sequence + segment.payloadLength
        return TCPSACKBlock(leftEdge: segment.sequence, rightEdge: end < receiveNext ? end : receiveNext)
    }

    /// Places a segment's payload: in order into the ring (absorbing the out-of-order interval when
    /// the gap closes), or into the one out-of-order interval. Returns the verdict and the newly
    /// deliverable bytes with their ring position.
    func placePayload(_ segment: ReceivedSegment, state: UnsafeMutablePointer<FlowState>) -> (FastPathVerdict, UInt32, UInt32) {
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
        // RFC 7323 §4.3: TS.Recent follows the segment that covers RCV.NXT.
        if offset == 0, let timestamps = segment.timestamps { state.pointee.timestampRecent = timestamps.value }
        let ring = PayloadRing(base: payloadRegion + Int(state.pointee.receiveRingOffset), size: state.pointee.receiveRingSize)
        let writePosition = PayloadRing.advance(state.pointee.receiveHead, by: UInt32(offset), size: ring.size)

        if offset > 0 {
            return (placeOutOfOrder(payload, length: length, offset: UInt32(offset), at: writePosition, ring: ring, state: state), 0, 0)
        }
        ring.write(payload, count: length, at: writePosition)
        var delivered = length
        let end = state.pointee.receiveNext + length
        if state.pointee.outOfOrderLength > 0 {
            let intervalEnd = state.pointee.outOfOrderStart + state.pointee.outOfOrderLength
            if !(end < state.pointee.outOfOrderStart) {
                // The gap is closed: everything up to the interval's end is now in order.
                if end < intervalEnd { delivered = UInt32(intervalEnd - state.pointee.receiveNext) }
                if intervalEnd < end { state.pointee.closeFlags.remove(.peerFinAfterInterval) }
                state.pointee.outOfOrderLength = 0
            }
        }
        let position = state.pointee.receiveHead
        state.pointee.receiveHead = PayloadRing.advance(position, by: delivered, size: ring.size)
        state.pointee.receiveSpace &-= delivered
        state.pointee.receiveNext += delivered
        return (.handled, delivered, position)
    }

    /// Accepts data beyond RCV.NXT only into the single out-of-order interval: starting one, or
    /// touching or overlapping the existing one (which then grows to cover both).
    func placeOutOfOrder(_ payload: UnsafeRawPointer, length: UInt32, offset: UInt32, at position: UInt32,
                         ring: PayloadRing, state: UnsafeMutablePointer<FlowState>) -> FastPathVerdict {
        let start = state.pointee.receiveNext + offset
        let end = start + length
        if state.pointee.outOfOrderLength == 0 {
            state.pointee.outOfOrderStart = start
            state.pointee.outOfOrderLength = length
        } else {
            let intervalStart = state.pointee.outOfOrderStart
            let intervalEnd = intervalStart + state.pointee.outOfOrderLength
            guard !(end < intervalStart), !(intervalEnd < start) else { return .outOfWindow }
            let newStart = start < intervalStart ? start : intervalStart
            let newEnd = intervalEnd < end ? end : intervalEnd
            if newEnd != intervalEnd { state.pointee.closeFlags.remove(.peerFinAfterInterval) }
            state.pointee.outOfOrderStart = newStart
            state.pointee.outOfOrderLength = UInt32(newEnd - newStart)
        }
        ring.write(payload, count: length, at: position)
        return .handled
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
