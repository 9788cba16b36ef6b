import FlexWire

// Segments for connections that own a flow index: RST, SYN and FIN on installed flows.
extension SlowPath {
    func handleConnectionSegment(_ inbound: InboundSegment, flow: FlowIndex, now: UInt64) {
        guard let connection = connections[Int(flow)] else { return }
        guard connection.phase != .synSent else {
            return handleSynSentSegment(inbound, flow: flow, connection: connection, now: now)
        }
        guard let state = fastPath.state(of: flow) else { return }
        let segment = inbound.segment
        if segment.flags.contains(.rst) {
            handleReset(inbound, flow: flow, connection: connection, state: state, now: now)
        } else if segment.flags.contains(.syn) {
            // RFC 5961 §4.2: any SYN on a synchronized connection gets a challenge ACK.
            sendChallengeAcknowledgment(state, now: now)
        } else if !segment.flags.contains(.ack) {
            counters.unacceptableSegments &+= 1
        } else if segment.flags.contains(.fin) {
            handleFIN(inbound, flow: flow, connection: connection, state: state, now: now)
        } else {
            deliverThroughFastPath(inbound, now: now)
        }
        progress(flow, now: now)
    }

    /// RFC 5961 §3.2: an RST exactly at RCV.NXT aborts; one elsewhere in the window is challenged;
    /// others are ignored. In TIME_WAIT every RST is ignored (RFC 1337).
    private func handleReset(_ inbound: InboundSegment, flow: FlowIndex, connection: Connection, state: FlowState, now: UInt64) {
        let offset = inbound.segment.sequenceNumber - state.receiveNext
        if connection.phase == .timeWait {
            counters.resetsIgnored &+= 1
        } else if offset == 0 {
            counters.resetsAccepted &+= 1
            abort(flow, reason: .resetByPeer)
        } else if offset > 0 && UInt32(offset) < max(state.receiveSpace, 1) {
            sendChallengeAcknowledgment(state, now: now)
        } else {
            counters.resetsIgnored &+= 1
        }
    }

    /// An ACK with our current numbers, at most `challengeAcknowledgmentsPerSecond` per second.
    func sendChallengeAcknowledgment(_ state: FlowState, now: UInt64) {
        if now &- challengeWindowStart >= 1_000_000_000 {
            challengeWindowStart = now
            challengesInWindow = 0
        }
        guard challengesInWindow < configuration.challengeAcknowledgmentsPerSecond else {
            return counters.challengeAcknowledgmentsSuppressed &+= 1
        }
        challengesInWindow += 1
        counters.challengeAcknowledgmentsSent &+= 1
        sendFlowSegment(state, sequence: state.sendNext, flags: .ack, now: now)
    }

    /// The peer's FIN: the fast path takes the segment's ACK and payload first; the FIN is accepted
    /// when everything before it has arrived (RCV.NXT reaches it), acknowledged, and reported.
    private func handleFIN(_ inbound: InboundSegment, flow: FlowIndex, connection: Connection, state: FlowState, now: UInt64) {
        counters.finsReceived &+= 1
        guard !connection.phase.peerFinished else {
            // A retransmitted FIN: our ACK was lost. Acknowledge again (and restart TIME_WAIT).
            guard inbound.payloadEnd + 1 == state.receiveNext else { return counters.unacceptableSegments &+= 1 }
            if connection.phase == .timeWait { connections[Int(flow)]?.deadline = now &+ configuration.timeWaitDuration }
            return sendFlowSegment(state, sequence: state.sendNext, flags: .ack, now: now)
        }
        guard deliverThroughFastPath(inbound, now: now), let delivered = fastPath.state(of: flow) else { return }
        guard inbound.payloadEnd == delivered.receiveNext else { return counters.finsOutOfOrder &+= 1 }
        guard let updated = updateInstalledFlow(flow, now: now, { $0.receiveNext += 1 }) else { return }
        sendFlowSegment(updated, sequence: updated.sendNext, flags: .ack, now: now)
        events.append(.peerClosed(flow: flow, opaque: connection.opaque))
        switch connection.phase {
        case .established:
            connections[Int(flow)]?.phase = .closeWait
        case .finWait1:
            connections[Int(flow)]?.phase = .closing
        case .finWait2:
            enterTimeWait(flow, now: now)
        default:
            break
        }
    }
}
