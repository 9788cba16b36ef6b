import FlexWire

// Simultaneous open (RFC 9293 §3.5, §3.10.7.3): our SYN and the peer's SYN cross.
extension SlowPath {
    /// A SYN without ACK in SYN-SENT: the connection enters SYN-RECEIVED (`Connection.crossedSYN`)
    /// and answers <SEQ=ISS><ACK=IRS+1><CTL=SYN,ACK> with the options both SYNs agree on; from now
    /// on its retransmission timer resends that SYN-ACK.
    func answerCrossedSYN(_ inbound: InboundSegment, flow: FlowIndex, connection: Connection, now: UInt64) {
        let syn = inbound.segment
        let crossed = HalfOpenConnection(key: connection.key, remoteMAC: inbound.sourceMAC, listenerPort: connection.key.localPort,
                                         options: NegotiatedOptions(answering: syn, configuration: configuration),
                                         initialSendSequence: connection.sequence, initialReceiveSequence: syn.sequenceNumber,
                                         deadline: connection.deadline)
        connections[Int(flow)]?.crossedSYN = crossed
        counters.simultaneousOpens &+= 1
        sendSYNACK(for: crossed, now: now)
    }

    /// A segment in the SYN-RECEIVED of a simultaneous open (its ACK, if any, acknowledges our SYN):
    /// an RST as in any SYN-RECEIVED (RFC 5961 §3.2; an accepted one fails the connect); the peer's
    /// SYN-ACK (SEQ=IRS) or an ACK at IRS+1 completes the handshake; the peer's SYN again gets our
    /// SYN-ACK again; anything else with ACK gets a challenge ACK, without ACK it is dropped.
    func handleSimultaneousOpenSegment(_ inbound: InboundSegment, flow: FlowIndex, crossed: HalfOpenConnection, now: UInt64) {
        let segment = inbound.segment
        if segment.flags.contains(.rst) {
            guard acceptsSynReceivedReset(segment, entry: crossed, now: now) else { return }
            return failConnect(flow, reason: .resetByPeer)
        }
        guard segment.flags.contains(.ack) else {
            guard segment.flags.contains(.syn) else { return counters.unacceptableSegments &+= 1 }
            return answerSynReceivedSYN(segment, entry: crossed, now: now)
        }
        let carriesSYN = segment.flags.contains(.syn)
        guard segment.sequenceNumber == crossed.initialReceiveSequence + (carriesSYN ? 0 : 1) else {
            return sendHalfOpenChallengeAcknowledgment(crossed, now: now)
        }
        finishActiveOpen(flow, handshake(completing: crossed, with: segment), answering: inbound, now: now)
    }
}
