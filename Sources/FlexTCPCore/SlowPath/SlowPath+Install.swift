import FlexWire

// Turning a completed handshake into an installed fast-path flow.
extension SlowPath {
    /// The numbers a completed handshake hands to the fast path.
    struct Handshake {
        var remoteMAC: MACAddress
        var options: NegotiatedOptions
        var initialSendSequence: SequenceNumber
        var initialReceiveSequence: SequenceNumber
        /// The peer's window in bytes (already scaled where the segment's window was scaled).
        var peerWindow: UInt32
        /// The timestamp echo of the segment that completed the handshake (nil: none): our SYN's or
        /// SYN-ACK's TSval, so the handshake's RTT (`roundTrip(now:)`).
        var echoedTimestamp: UInt32?

        /// The RTT the handshake measured in nanoseconds, at microsecond resolution (at least 1 µs),
        /// from a timestamp echo; 0 without timestamps or for an echo from the future or over a minute old.
        func roundTrip(now: UInt64) -> UInt64 {
            guard options.timestamps, let echo = echoedTimestamp, echo != 0 else { return 0 }
            let microseconds = FastPath.timestampClock(now) &- echo
            return microseconds < 60_000_000 ? UInt64(max(microseconds, 1)) * 1000 : 0
        }
    }

    /// Allocates the flow's rings, fills its `FlowState` and installs it; the connection becomes
    /// ESTABLISHED. Returns false (changing nothing) when no ring pair is free or the fast path refuses.
    func establish(_ flow: FlowIndex, _ handshake: Handshake, now: UInt64) -> Bool {
        guard var connection = connections[Int(flow)], let rings = ringAllocator.allocate(forContext: connection.context) else { return false }
        var state = FlowState()
        state.opaque = connection.opaque
        state.context = connection.context
        state.localPort = connection.key.localPort
        state.remotePort = connection.key.remotePort
        state.remoteAddress = connection.key.remoteAddress
        state.remoteMAC = handshake.remoteMAC
        state.options = handshake.options.flowOptions
        state.sendWindowShift = handshake.options.sendWindowShift
        state.receiveWindowShift = handshake.options.receiveWindowShift
        state.maximumSegmentSize = handshake.options.segmentSize(localMaximumSegmentSize: localMaximumSegmentSize)
        state.receiveRingOffset = rings.receiveOffset
        state.receiveRingSize = ringAllocator.receiveRingSize
        state.receiveSpace = ringAllocator.receiveRingSize
        state.transmitRingOffset = rings.transmitOffset
        state.transmitRingSize = ringAllocator.transmitRingSize
        state.receiveNext = handshake.initialReceiveSequence + 1
        state.sendUnacknowledged = handshake.initialSendSequence + 1
        // SND.FACK starts at SND.UNA: at 0 it would lie above SND.UNA in sequence space for half the
        // initial sequence numbers, and SACK recovery would be looked at on every change of the flow.
        state.highestSelectivelyAcknowledged = state.sendUnacknowledged
        state.peerWindow = handshake.peerWindow
        state.maximumPeerWindow = handshake.peerWindow
        state.windowUpdateSequence = handshake.initialReceiveSequence
        state.timestampRecent = handshake.options.timestampRecent
        state.timestampRecentTime = FastPath.timestampAgeClock(now)
        state.lastAnswerTime = FastPath.answerClock(now) &- FastPath.answerInterval
        do {
            try flows.install(flow: flow, state: state, now: now)
        } catch {
            ringAllocator.free(rings)
            return false
        }
        connection.rings = rings
        connection.phase = .established
        connection.crossedSYN = nil
        connection.deadline = .max
        connection.retries = 0
        connection.watchedUnacknowledged = state.sendUnacknowledged
        connections[Int(flow)] = connection
        startCongestionLoop(flow, state: state, handshakeRoundTrip: handshake.roundTrip(now: now), now: now)
        events.append(.established(flow: flow, opaque: connection.opaque, remoteAddress: connection.key.remoteAddress,
                                   remotePort: connection.key.remotePort, acceptedBy: connection.acceptedBy))
        return true
    }
}
