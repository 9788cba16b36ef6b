import FlexPort
import FlexWire

extension FastPath {
    /// Sends data segments for flows the queue manager grants at `now`, at most `maximumSegments`,
    /// and the ACKs held since before this round; commits the transmit batch. Returns how many data
    /// segments were sent. Each segment is at most one MSS, within the peer's window. With no flow
    /// queued, no ACK held and nothing written it returns at once (most transmit stages of a round).
    @discardableResult @inline(__always)
    package func transmit(now: UInt64, maximumSegments: Int = 64) -> Int {
        guard hasTransmitWork else { return 0 }
        // Only ACKs held during this round: they become due (a few stores), nothing is sent yet.
        guard queueManager.hasQueuedFlows || delayedAcknowledgments.hasDue || !transmitBatch.isEmpty else {
            delayedAcknowledgments.takeDue { _ in }
            return 0
        }
        return transmitQueued(now: now, maximumSegments: maximumSegments)
    }

    /// Whether `transmit` may have anything to do: a flow queued (due now or later), an ACK held or
    /// a frame written and not committed. A few loads.
    @inline(__always)
    package var hasTransmitWork: Bool { queueManager.hasQueuedFlows || !delayedAcknowledgments.isEmpty || !transmitBatch.isEmpty }

    /// `transmit` when something may be due.
    private func transmitQueued(now: UInt64, maximumSegments: Int) -> Int {
        var sent = 0
        while sent < maximumSegments, let grant = queueManager.nextTransmission(now: now, maximumBytes: UInt32.max) {
            let flow = grant.flow
            guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else {
                queueManager.completeTransmission(flow: flow, sentBytes: 0, isBlocked: true, now: now)
                continue
            }
            let state = flows + Int(flow)
            // A SACK block riding on the segment takes its bytes from the payload (RFC 6691), so the
            // frame never outgrows the MSS both sides agreed on.
            let segmentLimit = UInt32(state.pointee.maximumSegmentSize)
                &- UInt32(SegmentHeaders.sackLength(of: state.pointee, flags: .ack, reportsIntervals: true))
            let allowed = min(min(grant.bytes, state.pointee.transmitPending), min(state.pointee.windowRemaining, segmentLimit))
            // The FIN goes on the segment that empties the ring, or alone when nothing is pending.
            let carriesFIN = state.pointee.finDue && allowed == state.pointee.transmitPending
            guard allowed > 0 || carriesFIN else {
                queueManager.completeTransmission(flow: flow, sentBytes: 0, isBlocked: true, now: now)
                continue
            }
            guard let slot = nextTransmitSlot() else {
                queueManager.completeTransmission(flow: flow, sentBytes: 0, isBlocked: false, now: now)
                break
            }
            let length = writeDataSegment(into: slot, state: state, payloadLength: allowed,
                                          flags: carriesFIN ? [.ack, .psh, .fin] : [.ack, .psh], now: now,
                                          at: state.pointee.sendNext, from: state.pointee.unsentStart)
            commitTransmitSlot(length: length)
            // Below SND.MAX after a rewind: these bytes went out before.
            if state.pointee.rewoundExtent > state.pointee.transmitSent { segmentsRetransmitted &+= 1 }
            state.pointee.transmitSent &+= allowed
            state.pointee.transmitPending &-= allowed
            if carriesFIN { state.pointee.closeFlags.insert(.finInFlight) }
            segmentsSent &+= 1
            sent &+= 1
            publishSnapshot(flow)
            let blocked = carriesFIN || state.pointee.transmitPending == 0 || state.pointee.windowRemaining == 0
            queueManager.completeTransmission(flow: flow, sentBytes: carriesFIN ? allowed &+ 1 : allowed, isBlocked: blocked, now: now)
        }
        // The ACKs held since before this round that did not ride on a segment since.
        if !delayedAcknowledgments.isEmpty { delayedAcknowledgments.takeDue { sendOwedAcknowledgment($0, now: now) } }
        flushTransmitBatch()
        return sent
    }

    /// Sends every held ACK now, due or not (for a caller that ends its round with the
    /// application's answers already written, or before polling stops); commit with `transmit`
    /// or `flushTransmitBatch`.
    package func sendHeldAcknowledgments(now: UInt64) {
        guard !delayedAcknowledgments.isEmpty else { return }
        delayedAcknowledgments.takeAll { sendOwedAcknowledgment($0, now: now) }
    }

    private func sendOwedAcknowledgment(_ flow: FlowIndex, now: UInt64) {
        let state = flows + Int(flow)
        guard installed[Int(flow)], state.pointee.acknowledgmentOwed else { return }
        sendAcknowledgment(state, flags: .ack, now: now)
    }

    /// When the queue manager next has something due (0: now; nil: nothing queued).
    package var nextTransmitTime: UInt64? { delayedAcknowledgments.isEmpty ? queueManager.earliestDueTime : 0 }

    /// True when the queue manager will hand the flow a transmit turn without another event.
    package func isQueuedForTransmission(_ flow: FlowIndex) -> Bool { queueManager.isQueued(flow: flow) }

    /// Writes a data segment of `payloadLength` bytes numbered from `sequence`, taken from the
    /// flow's transmit ring at `position` (SND.NXT and the first pending byte for new data).
    func writeDataSegment(into frame: UnsafeMutableRawPointer, state: UnsafeMutablePointer<FlowState>,
                          payloadLength: UInt32, flags: TCPFlags, now: UInt64, at sequence: SequenceNumber, from position: UInt32) -> Int {
        state.pointee.acknowledgmentOwed = false  // this segment carries the ACK
        let headerLength = SegmentHeaders.headerLength(of: state.pointee, flags: flags, reportsIntervals: true)
        let ring = PayloadRing(base: payloadRegion + Int(state.pointee.transmitRingOffset), size: state.pointee.transmitRingSize)
        ring.read(into: frame + headerLength, count: payloadLength, at: position)
        var flags = flags
        if payloadLength > 0 && state.pointee.congestionWindowReducedDue {
            flags.insert(.cwr)
            state.pointee.congestionWindowReducedDue = false
        }
        return SegmentHeaders.write(into: frame, flow: UnsafePointer(state), template: headerTemplate(state), sequence: sequence,
                                    flags: flags, payloadLength: Int(payloadLength),
                                    timestampValue: FastPath.timestampClock(now), windowLimit: receiveWindowLimit,
                                    outOfOrder: outOfOrderIntervals(state), transportChecksum: transportChecksum)
    }

    /// The out-of-order intervals of the flow whose state `state` points to (in `flows`), for its segments' SACK blocks.
    func outOfOrderIntervals(_ state: UnsafeMutablePointer<FlowState>) -> UnsafePointer<OutOfOrderIntervals> {
        UnsafePointer(outOfOrder + (state - flows))
    }

    /// The header template of the flow whose state `state` points to (in `flows`).
    func headerTemplate(_ state: UnsafeMutablePointer<FlowState>) -> UnsafePointer<SegmentHeaderTemplate> {
        UnsafePointer(headerTemplates + (state - flows))
    }

    /// Queues a pure ACK (or window update) for the flow into the current transmit batch; with SACK
    /// negotiated it reports `duplicate` (a D-SACK block) and the out-of-order intervals.
    func sendAcknowledgment(_ state: UnsafeMutablePointer<FlowState>, flags: TCPFlags, now: UInt64,
                            duplicate: TCPSACKBlock? = nil) {
        state.pointee.acknowledgmentOwed = false
        guard let slot = nextTransmitSlot() else { return }
        let length = SegmentHeaders.write(into: slot, flow: UnsafePointer(state), template: headerTemplate(state),
                                          sequence: state.pointee.sendNext,
                                          flags: flags, payloadLength: 0, timestampValue: FastPath.timestampClock(now),
                                          windowLimit: receiveWindowLimit, duplicate: duplicate,
                                          outOfOrder: outOfOrderIntervals(state), transportChecksum: transportChecksum)
        commitTransmitSlot(length: length)
        acknowledgmentsSent &+= 1
    }

    /// A transmit slot large enough for a full segment: one more slot reserved from the port (after
    /// committing the batch when it is full); nil when the port has none free. Reserving one slot
    /// per frame keeps the port's work in proportion to the frames sent; the commit stays one per batch.
    func nextTransmitSlot() -> UnsafeMutableRawPointer? {
        if transmitBatch.isFull { flushTransmitBatch() }
        guard port.reserveTransmit(into: transmitBatch, count: 1) == 1 else { return nil }
        return transmitBatch[transmitBatch.count &- 1].bytes
    }

    /// Gives the frame written into the last reserved slot its length, marked `.checksumPartial`
    /// when its TCP checksum was left for the port (`leavesTransportChecksumPartial`).
    func commitTransmitSlot(length: Int) {
        let last = transmitBatch.count &- 1
        var frame = transmitBatch[last]
        frame.length = length
        if leavesTransportChecksumPartial { frame.flags.insert(.checksumPartial) }
        transmitBatch[last] = frame
    }

    /// Sends the frames written so far (a slot reserved but left unwritten goes back unsent).
    package func flushTransmitBatch() {
        guard !transmitBatch.isEmpty else { return }
        _ = port.commitTransmit(transmitBatch)  // frames the port could not send count in its transmitDrops
        transmitBatch.removeAll()
    }
}
