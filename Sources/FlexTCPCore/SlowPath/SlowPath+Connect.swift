import FlexWire

// Active open.
extension SlowPath {
    /// Opens a connection to `remoteAddress:remotePort` from a free ephemeral port: sends a SYN
    /// (after ARP resolves the next hop) and retransmits it with exponential back-off. Returns the
    /// flow index that `established` or `connectFailed` will name.
    package func connect(to remoteAddress: IPv4Address, port remotePort: UInt16, opaque: UInt64 = 0, context: UInt16 = 0,
                        now: UInt64) throws(SlowPathError) -> FlowIndex {
        guard network.configuration.interface.isUnicast(remoteAddress), remotePort != 0,
              (try? network.routingTable.nextHop(for: remoteAddress)) != nil else { throw .noRoute(remoteAddress) }
        let localPort = try ephemeralPort(remoteAddress: remoteAddress, remotePort: remotePort)
        let key = key(localPort: localPort, remoteAddress: remoteAddress, remotePort: remotePort)
        let initialSequence = SequenceNumber(sequenceNumbers.initialSequenceNumber(
            localAddress: key.localAddress, localPort: localPort, remoteAddress: remoteAddress, remotePort: remotePort,
            nowNanoseconds: now))
        var connection = Connection(phase: .synSent, key: key, opaque: opaque, context: context, acceptedBy: nil, sequence: initialSequence)
        connection.deadline = retransmissionDeadline(now: now, retries: 0)
        guard let flow = register(connection) else { throw .noFreeFlow }
        scheduleTimer(flow, now: now)
        sendSYN(connection, now: now)
        return flow
    }

    func sendSYN(_ connection: Connection, now: UInt64) {
        let segment = TCPSegmentRepr(sourcePort: connection.key.localPort, destinationPort: connection.key.remotePort,
                                     sequenceNumber: connection.sequence,
                                     flags: configuration.offersECN ? [.syn, .ece, .cwr] : .syn, window: handshakeWindow,
                                     options: handshakeOptions(windowScale: configuration.offersWindowScale,
                                                               sackPermitted: configuration.offersSelectiveAcknowledgment,
                                                               timestamps: configuration.offersTimestamps, timestampEcho: 0, now: now))
        send(segment, to: connection.key.remoteAddress, remoteMAC: nil, now: now)
        counters.synsSent &+= 1
    }

    /// The next port of the ephemeral range (round robin) that no listener and no connection to
    /// this remote endpoint uses or holds in TIME_WAIT.
    private func ephemeralPort(remoteAddress: IPv4Address, remotePort: UInt16) throws(SlowPathError) -> UInt16 {
        let range = configuration.ephemeralPorts
        for _ in 0..<range.count {
            let port = nextEphemeralPort
            nextEphemeralPort = port == range.upperBound ? range.lowerBound : port + 1
            let key = key(localPort: port, remoteAddress: remoteAddress, remotePort: remotePort)
            if listeners[port] == nil && flowsByKey[key] == nil && synQueue[key] == nil && timeWaitRecords[key] == nil { return port }
        }
        throw .noEphemeralPort
    }

    /// A segment for a connection in SYN-SENT (RFC 9293 §3.10.7.3), or in the SYN-RECEIVED of a
    /// simultaneous open (`Connection.crossedSYN`).
    func handleSynSentSegment(_ inbound: InboundSegment, flow: FlowIndex, connection: Connection, now: UInt64) {
        let segment = inbound.segment
        if segment.flags.contains(.ack) && segment.acknowledgmentNumber != connection.sequence + 1 {
            counters.unacceptableSegments &+= 1
            return sendReset(answering: inbound, now: now)
        }
        if let crossed = connection.crossedSYN {
            return handleSimultaneousOpenSegment(inbound, flow: flow, crossed: crossed, now: now)
        }
        if segment.flags.contains(.rst) {
            guard segment.flags.contains(.ack) else { return counters.resetsIgnored &+= 1 }
            counters.resetsAccepted &+= 1
            return failConnect(flow, reason: .resetByPeer)
        }
        guard segment.flags.contains(.syn) else { return counters.unacceptableSegments &+= 1 }
        guard segment.flags.contains(.ack) else { return answerCrossedSYN(inbound, flow: flow, connection: connection, now: now) }
        let options = NegotiatedOptions(completing: segment, configuration: configuration)
        let handshake = Handshake(remoteMAC: inbound.sourceMAC, options: options, initialSendSequence: connection.sequence,
                                  initialReceiveSequence: segment.sequenceNumber, peerWindow: UInt32(segment.window),
                                  echoedTimestamp: segment.options.timestamps?.echoReply)
        finishActiveOpen(flow, handshake, answering: inbound, now: now)
    }

    /// Installs an actively opened connection and acknowledges the segment that completed it; when
    /// nothing is free, answers that segment with an RST and reports the failure.
    func finishActiveOpen(_ flow: FlowIndex, _ handshake: Handshake, answering inbound: InboundSegment, now: UInt64) {
        guard establish(flow, handshake, now: now), let state = flows.state(of: flow) else {
            sendReset(answering: inbound, now: now)
            return failConnect(flow, reason: .outOfResources)
        }
        counters.activeOpens &+= 1
        guard !inbound.segment.flags.contains(.syn) else {
            return sendFlowSegment(state, sequence: state.sendNext, flags: .ack, now: now)
        }
        // The ACK that completes a simultaneous open owes no answer; text or a FIN riding on it goes
        // where it would on an established flow (and is acknowledged there).
        if inbound.payloadLength > 0 || inbound.segment.flags.contains(.fin) { handleConnectionSegment(inbound, flow: flow, now: now) }
    }

    func failConnect(_ flow: FlowIndex, reason: ConnectionAbortReason) {
        guard let connection = connections[Int(flow)] else { return }
        release(flow)
        counters.connectFailures &+= 1
        events.append(.connectFailed(flow: flow, opaque: connection.opaque, context: connection.context, reason: reason))
    }
}
