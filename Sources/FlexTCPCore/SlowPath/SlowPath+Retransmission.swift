import FlexWire

// The retransmission timeout and zero-window probing of installed flows (dissertation §4.3.2:
// the kernel watches for unacknowledged data whose SND.UNA does not move).
extension SlowPath {
    /// The timer a flow needs: retransmission while data or our FIN is in flight, window probes
    /// while the peer's window is closed and data waits, else none.
    func wantedTimer(_ state: FlowState) -> RetransmissionTimerKind {
        state.sequenceNumbersInFlight > 0 ? .retransmission : (state.peerWindow == 0 && state.transmitPending > 0 ? .windowProbe : .idle)
    }

    /// Restarts the timer when SND.UNA moved; arms it for data or FIN in flight (retransmission) or
    /// for data held back by a zero window (probe); on expiry goes back to SND.UNA — resetting the
    /// connection after too many timeouts without progress — or sends a window probe.
    func runRetransmissionTimer(_ flow: FlowIndex, _ connection: Connection, state: FlowState, now: UInt64) {
        var connection = connection
        armRetransmissionTimer(flow, &connection, state: state, now: now)
        guard connection.timer != .idle, now >= connection.deadline else {
            connections[Int(flow)] = connection
            return
        }
        switch connection.timer {
        case .retransmission:
            if let armedAt = connection.probeArmedAt {
                connection.probeArmedAt = nil
                if probeTimeout(flow, connection, state: state) != nil {
                    sendTailLossProbe(flow, state: state, now: now)
                    connection.probedUnacknowledged = state.sendUnacknowledged
                    connection.deadline = now &+ retransmissionTimeout(state, retries: connection.retries)
                    connections[Int(flow)] = connection
                    return
                }
                // The probe no longer applies (SACK recovery began meanwhile): the RTO still counts
                // from when the timer was armed, not from the probe's earlier deadline.
                let timeout = armedAt &+ retransmissionTimeout(state, retries: connection.retries)
                if now < timeout {
                    connection.deadline = timeout
                    connections[Int(flow)] = connection
                    return
                }
            }
            let limit = state.closeFlags.contains(.finQueued) ? configuration.finRetries : configuration.dataRetries
            guard connection.retries < limit else {
                counters.retransmissionFailures &+= 1
                return abort(flow, reason: .timedOut, resetSentAt: now)
            }
            connection.retransmissionTimeouts &+= 1
            counters.retransmissionTimeouts &+= 1
            if state.closeFlags.contains(.finInFlight) { counters.finRetransmissions &+= 1 }
            // Back to SND.UNA: what the scoreboard knew is resent anyway.
            scoreboards[Int(flow)] = nil
            flows.retransmit(flow: flow, now: now)
        case .windowProbe:
            // SEG.SEQ = SND.NXT − 1 is below the peer's RCV.NXT: it must answer with an ACK and its window.
            counters.windowProbesSent &+= 1
            sendFlowSegment(state, sequence: state.sendNext - 1, flags: .ack, now: now)
        case .idle:
            break
        }
        connection.retries += 1
        connection.deadline = now &+ retransmissionTimeout(state, retries: connection.retries)
        connections[Int(flow)] = connection
    }

    /// The timer part of `runRetransmissionTimer` that never sends: restarts the timer when SND.UNA
    /// moved, and arms (or disarms) it for what the flow needs now — retransmission or a tail loss
    /// probe while data or our FIN is in flight, a window probe while data waits on a closed window.
    func armRetransmissionTimer(_ flow: FlowIndex, _ connection: inout Connection, state: FlowState, now: UInt64) {
        if state.sendUnacknowledged != connection.watchedUnacknowledged {
            connection.watchedUnacknowledged = state.sendUnacknowledged
            connection.retries = 0
            connection.timer = .idle
            connection.deadline = .max
        }
        let wanted = wantedTimer(state)
        if wanted != connection.timer {
            connection.timer = wanted
            let probe = wanted == .retransmission ? probeTimeout(flow, connection, state: state) : nil
            connection.probeArmedAt = probe == nil ? nil : now
            connection.deadline = wanted == .idle ? .max : now &+ (probe ?? retransmissionTimeout(state, retries: connection.retries))
        }
    }

    /// RFC 8985's probe timeout when a tail loss probe is due before the RTO: probes on, SACK, an
    /// RTT sample, sent data unacknowledged, no timeout and no probe yet at this SND.UNA, no SACK
    /// recovery running; 2 × SRTT (plus the delayed-ACK allowance with one segment in flight, at
    /// least `minimumProbeTimeout`), nil when that is not sooner than the RTO.
    func probeTimeout(_ flow: FlowIndex, _ connection: Connection, state: FlowState) -> UInt64? {
        guard configuration.sendsTailLossProbes, state.options.contains(.selectiveAcknowledgment), state.roundTripMicroseconds > 0,
              state.transmitSent > 0, connection.retries == 0, connection.probedUnacknowledged != state.sendUnacknowledged,
              scoreboards[Int(flow)]?.inRecovery != true else { return nil }
        let oneSegment = state.transmitSent <= UInt32(state.maximumSegmentSize)
        let timeout = max(configuration.minimumProbeTimeout,
                          2 &* UInt64(state.roundTripMicroseconds) &* 1000 &+ (oneSegment ? configuration.probeDelayedAcknowledgmentAllowance : 0))
        return timeout < retransmissionTimeout(state, retries: 0) ? timeout : nil
    }

    /// The probe: the last sent segment again (at most one MSS ending at SND.NXT), through the
    /// fast path's range retransmission.
    func sendTailLossProbe(_ flow: FlowIndex, state: FlowState, now: UInt64) {
        guard let recovery = selectiveRecovery else { return }
        let length = min(state.transmitSent, UInt32(state.maximumSegmentSize))
        counters.tailLossProbes &+= 1
        recovery.retransmit(flow: flow, sequence: state.sendUnacknowledged + (state.transmitSent &- length), length: length, now: now)
    }

    /// The flow's timeout after `retries` back-offs: `retransmissionTimeoutRoundTrips` × RTT (at
    /// least the minimum; the initial timeout before any RTT sample), doubled per retry, capped.
    func retransmissionTimeout(_ state: FlowState, retries: Int) -> UInt64 {
        let roundTrip = UInt64(state.roundTripMicroseconds) * 1000
        let base = roundTrip == 0 ? configuration.initialRetransmissionTimeout
            : max(configuration.minimumRetransmissionTimeout, roundTrip.multipliedReportingOverflow(by: configuration.retransmissionTimeoutRoundTrips).partialValue)
        let shift = UInt64(min(retries, 40))
        let backedOff = base <= configuration.maximumRetransmissionTimeout >> shift ? base << shift : configuration.maximumRetransmissionTimeout
        return min(backedOff, configuration.maximumRetransmissionTimeout)
    }
}
