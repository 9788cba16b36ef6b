import FlexWire

/// Why the slow path could not install a flow.
package enum FlowInstallError: Error, Equatable, Sendable {
    case flowIndexOutOfRange
    case flowIndexInUse
    case duplicateTuple
    case tableFull
    /// A ring lies (partly) outside the payload region, or has size 0.
    case ringOutsideRegion
}

extension FastPath {
    /// Installs an established flow (the slow path calls this when a handshake completes).
    package func install(flow: FlowIndex, state: FlowState, now: UInt64) throws(FlowInstallError) {
        let index = Int(flow)
        guard index < configuration.flowCapacity else { throw .flowIndexOutOfRange }
        guard !installed[index] else { throw .flowIndexInUse }
        guard ringFits(offset: state.receiveRingOffset, size: state.receiveRingSize),
              ringFits(offset: state.transmitRingOffset, size: state.transmitRingSize) else { throw .ringOutsideRegion }
        do {
            try flowTable.insert(flow, for: key(of: state))
        } catch .duplicateKey {
            throw .duplicateTuple
        } catch {
            throw .tableFull
        }
        flows[index] = state
        rebuildHeaderTemplate(flow)
        peerSACKBlocks[index] = TCPSACKBlocks()
        installed[index] = true
        publishSnapshot(flow)
        if !state.closeFlags.contains(.peerFinished) { receivingFlowsChanged(by: 1) }
        if state.transmitPending > 0 { queueManager.add(flow: flow, bytes: state.transmitPending, now: now) }
    }

    /// Removes a flow's state; returns its last state, or nil if none was installed.
    @discardableResult
    package func remove(flow: FlowIndex) -> FlowState? {
        let index = Int(flow)
        guard index < configuration.flowCapacity, installed[index] else { return nil }
        let state = flows[index]
        flowTable.remove(key(of: state))
        queueManager.remove(flow: flow)
        installed[index] = false
        publishSnapshot(flow)
        if !state.closeFlags.contains(.peerFinished) { receivingFlowsChanged(by: -1) }
        return state
    }

    /// Changes an installed flow's state in place (its queue-manager bucket and rate stay); returns
    /// the new state, or nil when no flow is installed there. For slow-path bookkeeping only: the
    /// change must keep the ring invariants; new sendable bytes go through `applicationQueued`.
    @discardableResult
    package func update(flow: FlowIndex, _ change: (inout FlowState) -> Void) -> FlowState? {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return nil }
        change(&flows[Int(flow)])
        rebuildHeaderTemplate(flow)
        publishSnapshot(flow)
        return flows[Int(flow)]
    }

    /// The flow's header template from its state as it is now.
    private func rebuildHeaderTemplate(_ flow: FlowIndex) {
        headerTemplates[Int(flow)] = SegmentHeaderTemplate(flow: flows[Int(flow)], localAddress: configuration.localAddress,
                                                           localMAC: configuration.localMAC)
    }

    /// The application closed the flow's sending direction: the fast path sends a FIN right after the
    /// last byte of the transmit ring (on that segment when it can), retransmits it when rewound, and
    /// reports its acknowledgment (`FlowCloseFlags.finAcknowledged`). Returns false for an unknown
    /// flow or a second call.
    @discardableResult
    package func closeTransmission(flow: FlowIndex, now: UInt64) -> Bool {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return false }
        let state = flows + Int(flow)
        guard !state.pointee.closeFlags.contains(.finQueued) else { return false }
        state.pointee.closeFlags.insert(.finQueued)
        publishSnapshot(flow)
        // The FIN takes one unit of the queue manager's budget (or rides on the last data segment).
        queueManager.add(flow: flow, bytes: 1, now: now)
        return true
    }

    /// Sets a flow's transmit rate (bytes per second; `QueueManager.unlimitedRate` for none).
    package func setRate(flow: FlowIndex, bytesPerSecond: UInt64, now: UInt64) {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return }
        queueManager.setRate(flow: flow, bytesPerSecond: bytesPerSecond, now: now)
    }

    /// The application appended `bytes` to the flow's transmit ring (txSend). Returns false when
    /// the flow does not exist, its sending direction is closed, or the bytes do not fit in the ring
    /// (an untrusted app's error).
    @discardableResult
    package func applicationQueued(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return false }
        let state = flows + Int(flow)
        guard !state.pointee.closeFlags.contains(.finQueued) else { return false }
        guard bytes <= state.pointee.transmitSpace else { return false }
        state.pointee.transmitPending &+= bytes
        publishSnapshot(flow)
        queueManager.add(flow: flow, bytes: bytes, now: now)
        return true
    }

    /// The application consumed `bytes` of received data (rxFree). Returns false for an unknown
    /// flow or more bytes than it holds. A window that reopens from zero, or grows from below
    /// min(MSS, half the ring) to at least that, sends a window update at once (unless the peer has
    /// finished: it sends nothing more).
    @discardableResult
    package func applicationFreed(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return false }
        let state = flows + Int(flow)
        guard bytes <= state.pointee.unreadByteCount else { return false }
        // The peer learns of freed space when the window reopens from zero, and again when it reaches
        // min(MSS, half the ring) from below (RFC 1122 4.2.3.3): a sender that avoids silly windows
        // itself (Linux) sends nothing into a smaller window and would otherwise wait for its persist
        // timer. A window already that large needs no update of its own.
        let threshold = min(UInt32(state.pointee.maximumSegmentSize), state.pointee.receiveRingSize / 2)
        let before = advertisedBytes(state)
        state.pointee.receiveSpace &+= bytes
        publishSnapshot(flow)
        // The advertised window only grows with the space: one open and at the threshold stays so.
        guard before == 0 || before < threshold else { return true }
        let after = advertisedBytes(state)
        let reopened = before == 0 && after > 0
        let reachedSegment = before < threshold && after >= threshold
        if (reopened || reachedSegment) && !state.pointee.closeFlags.contains(.peerFinished) {
            sendAcknowledgment(state, flags: .ack, now: now)
            flushTransmitBatch()
        }
        return true
    }

    /// The receive window, in bytes, that the next segment of the flow will advertise.
    @inline(__always)
    private func advertisedBytes(_ state: UnsafeMutablePointer<FlowState>) -> UInt32 {
        UInt32(state.pointee.advertisedWindow(limitedTo: receiveWindowLimit)) << UInt32(state.pointee.receiveWindowShift)
    }

    /// Retransmission from the oldest unacknowledged byte (go-back-N), as the slow path's RTO asks;
    /// a FIN in flight is sent again after the data.
    package func retransmit(flow: FlowIndex, now: UInt64) {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return }
        rewindTransmission(flows + Int(flow))
        publishSnapshot(flow)
        queueSendable(flow, flows + Int(flow), now: now)
    }

    /// Sends the flow's sent and unacknowledged bytes `sequence ..< sequence + length` again, in
    /// segments of at most one MSS, without changing what counts as sent (the slow path's SACK
    /// recovery fills the holes the peer reported). Only bytes the ring still holds as sent are
    /// taken: a range outside SND.UNA ..< SND.UNA + sent (after a rewind, or one that starts below
    /// SND.UNA because it was read from an older snapshot) is cut to it.
    /// Work in proportion to `length` / MSS; the caller keeps `length` to a few segments.
    package func retransmit(flow: FlowIndex, sequence: SequenceNumber, length: UInt32, now: UInt64) {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return }
        let state = flows + Int(flow)
        let offset = sequence - state.pointee.sendUnacknowledged
        let acknowledgedPart = offset < 0 ? offset.magnitude : 0
        guard acknowledgedPart < length else { return }
        var position = offset < 0 ? 0 : UInt32(offset)
        guard position < state.pointee.transmitSent else { return }
        let end = min(position &+ (length &- acknowledgedPart), state.pointee.transmitSent)
        let segmentLimit = UInt32(state.pointee.maximumSegmentSize)
            &- UInt32(SegmentHeaders.sackLength(of: state.pointee, flags: .ack, reportsIntervals: true))
        while position < end, let slot = nextTransmitSlot() {
            let count = min(end &- position, segmentLimit)
            let frameLength = writeDataSegment(into: slot, state: state, payloadLength: count, flags: [.ack, .psh], now: now,
                                               at: state.pointee.sendUnacknowledged + position,
                                               from: state.pointee.transmitRingPosition(fromHead: position))
            commitTransmitSlot(length: frameLength)
            segmentsSent &+= 1
            segmentsRetransmitted &+= 1
            position &+= count
        }
        flushTransmitBatch()
    }

    /// True when the third duplicate ACK is left to the slow path's SACK recovery instead of a
    /// rewind: the flow negotiated SACK (the slow path reads the peer's SACK blocks directly on this
    /// thread, from the published snapshots on its own, and asks for the holes either way).
    func recoversSelectively(_ state: UnsafeMutablePointer<FlowState>) -> Bool {
        state.pointee.options.contains(.selectiveAcknowledgment)
    }

    /// The SACK blocks of the latest segment from the flow's peer that carried any (empty: none
    /// yet, or no flow installed there). Blocks at or below SND.UNA are stale.
    package func selectiveAcknowledgments(of flow: FlowIndex) -> TCPSACKBlocks {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return TCPSACKBlocks() }
        return peerSACKBlocks[Int(flow)]
    }

    /// Moves every sent-but-unacknowledged byte (and a FIN in flight) back to pending. SND.MAX stays
    /// where it was (`rewoundExtent`): the peer may still acknowledge what it got before the rewind.
    func rewindTransmission(_ state: UnsafeMutablePointer<FlowState>) {
        state.pointee.rewoundExtent = state.pointee.sentExtent
        state.pointee.transmitPending &+= state.pointee.transmitSent
        state.pointee.transmitSent = 0
        state.pointee.duplicateAcknowledgments = 0
        state.pointee.closeFlags.remove(.finInFlight)
    }

    /// Keeps the queue manager's count of what the flow may send at least its pending bytes (plus
    /// a FIN due) whenever it can send now, which queues it if it was not. The count is a copy of
    /// `transmitPending` that a blocked flow gives up (the queue manager drops it to 0) and that an
    /// ACK for bytes a rewind made pending leaves too high; re-deriving it from the flow's state
    /// wherever sending may become possible without the application (a window opens, a rewind)
    /// means no drift can strand a flow with bytes to send. Constant time.
    func queueSendable(_ flow: FlowIndex, _ state: UnsafeMutablePointer<FlowState>, now: UInt64) {
        guard state.pointee.canTransmitNow else { return }
        let owed = UInt64(state.pointee.transmitPending) &+ (state.pointee.finDue ? 1 : 0)
        let counted = queueManager.availableBytes(of: flow)
        if counted < owed { queueManager.add(flow: flow, bytes: UInt32(truncatingIfNeeded: owed &- counted), now: now) }
    }

    func key(of state: FlowState) -> FlowKey {
        FlowKey(localAddress: configuration.localAddress, localPort: state.localPort,
                remoteAddress: state.remoteAddress, remotePort: state.remotePort)
    }

    private func ringFits(offset: UInt32, size: UInt32) -> Bool {
        size > 0 && UInt64(offset) + UInt64(size) <= UInt64(payloadRegionSize)
    }
}
