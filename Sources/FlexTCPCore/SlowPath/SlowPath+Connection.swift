import FlexWire

// Segments for connections that own a flow index: RST, SYN and FIN on installed flows (TIME_WAIT
// without a flow: `SlowPath+TimeWait.swift`).
extension SlowPath {
    func handleConnectionSegment(_ inbound: InboundSegment, flow: FlowIndex, now: UInt64) {
        guard let connection = connections[Int(flow)] else { return }
        guard connection.phase != .synSent else {
            return handleSynSentSegment(inbound, flow: flow, connection: connection, now: now)
        }
        guard let state = flows.state(of: flow) else { return }
        let segment = inbound.segment
        if segment.flags.contains(.rst) {
            handleReset(inbound, flow: flow, connection: connection, state: state, now: now)
        } else if segment.flags.contains(.syn) {
            // RFC 5961 §4.2: any SYN on a synchronized connection gets a challenge ACK.
            sendChallengeAcknowledgment(state, now: now)
        } else if !segment.flags.contains(.ack) {
            counters.unacceptableSegments &+= 1
        } else if segment.flags.contains(.fin) && state.closeFlags.contains(.peerFinished) {
            handleRetransmittedFIN(inbound, flow: flow, connection: connection, state: state, now: now)
        } else if !flows.reprocess(inbound.frame, now: now) {
            // Data on a handshake's last ACK reaches the fast path here; other segments it refused already.
            counters.unsupportedSegments &+= 1
        }
        progress(flow, now: now)
    }

    /// RFC 5961 §3.2: an RST exactly at RCV.NXT aborts; one elsewhere in the window is challenged;
    /// others are ignored. In TIME_WAIT every RST is ignored (RFC 1337), and so in CLOSED while the
    /// application reads the last bytes (both directions ended in order: nothing is left to abort).
    private func handleReset(_ inbound: InboundSegment, flow: FlowIndex, connection: Connection, state: FlowState, now: UInt64) {
        let offset = inbound.segment.sequenceNumber - state.receiveNext
        if connection.phase == .timeWait || connection.phase == .closed {
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
        guard takeChallengeAcknowledgment(now: now) else { return }
        sendFlowSegment(state, sequence: state.sendNext, flags: .ack, now: now)
    }

    /// Takes one challenge ACK from this second's budget; false (counted as suppressed) when it is
    /// spent. The budget is drawn anew each second from [limit/2, limit/2 + limit) with a secret-seeded
    /// generator, as Linux does since CVE-2016-5696: a fixed, host-wide count would let an off-path
    /// attacker spend it on a connection of its own and learn, by counting its own challenge ACKs,
    /// whether a guessed 4-tuple exists and where its window lies.
    func takeChallengeAcknowledgment(now: UInt64) -> Bool {
        if challengeWindowStart.map({ now &- $0 >= 1_000_000_000 }) ?? true {
            challengeWindowStart = now
            let limit = max(configuration.challengeAcknowledgmentsPerSecond, 1)
            challengeBudget = (limit + 1) / 2 + Int.random(in: 0..<limit, using: &challengeRandom)
        }
        guard challengeBudget > 0 else {
            counters.challengeAcknowledgmentsSuppressed &+= 1
            return false
        }
        challengeBudget -= 1
        counters.challengeAcknowledgmentsSent &+= 1
        return true
    }

    /// The peer's FIN again (the fast path took it the first time): our ACK was lost. Acknowledge
    /// again (and restart TIME_WAIT while the application still reads).
    private func handleRetransmittedFIN(_ inbound: InboundSegment, flow: FlowIndex, connection: Connection, state: FlowState,
                                        now: UInt64) {
        guard inbound.payloadEnd + 1 == state.receiveNext else { return counters.unacceptableSegments &+= 1 }
        if connection.phase == .timeWait { connections[Int(flow)]?.deadline = now &+ configuration.timeWaitDuration }
        sendFlowSegment(state, sequence: state.sendNext, flags: .ack, now: now)
    }
}
