import FlexWire

// Passive open: listeners, the SYN queue, SYN cookies and the accept backlog.
extension SlowPath {
    /// Accepts connections to `port`; at most `backlog` completed ones wait for `accept`.
    /// Connections get `opaque` and `context` (their events go there even before `accept`).
    package func listen(port: UInt16, backlog: Int, opaque: UInt64 = 0, context: UInt16 = 0) throws(SlowPathError) {
        guard backlog > 0 else { throw .invalidBacklog(backlog) }
        guard port != 0, listeners[port] == nil else { throw .portInUse(port) }
        listeners[port] = Listener(backlog: backlog, opaque: opaque, context: context)
    }

    /// Stops listening on `port` (RFC 9293 §3.10.4, CLOSE in LISTEN): the port is free for `listen`
    /// again, and later segments to it are answered as for a closed port (an RST, §3.10.7.1). Its
    /// half-open connections leave the SYN queue with an RST (ABORT in SYN-RECEIVED, §3.10.5: SEQ =
    /// SND.NXT), and the connections established but not yet accepted are aborted with an RST
    /// (reported `aborted(…, .listenerClosed)`). Returns false when nothing listens on `port`.
    @discardableResult
    package func closeListener(port: UInt16, now: UInt64) -> Bool {
        guard let listener = listeners.removeValue(forKey: port) else { return false }
        for (key, entry) in synQueue where entry.listenerPort == port {
            synQueue[key] = nil
            let reset = TCPSegmentRepr(sourcePort: key.localPort, destinationPort: key.remotePort,
                                       sequenceNumber: entry.initialSendSequence + 1, flags: .rst, window: 0)
            send(reset, to: key.remoteAddress, remoteMAC: entry.remoteMAC, now: now)
            counters.resetsSent &+= 1
        }
        for flow in listener.ready { abort(flow, reason: .listenerClosed, resetSentAt: now) }
        counters.listenersClosed &+= 1
        return true
    }

    /// The oldest completed connection to `port` not yet accepted, or nil.
    package func accept(port: UInt16) -> FlowIndex? {
        guard var listener = listeners[port], !listener.ready.isEmpty else { return nil }
        let flow = listener.ready.removeFirst()
        listeners[port] = listener
        return flow
    }

    /// RFC 9293 §3.10.7.2 (LISTEN): an RST is ignored; an ACK (also a SYN-ACK) is a SYN cookie's
    /// ACK or gets an RST; a SYN starts a handshake — unless it also carries FIN (dropped, counted in
    /// `synsDroppedBadFlags`, as Linux does); anything else (no flags, FIN alone, ...) is dropped
    /// (counted in `segmentsDroppedInListen`). `initialSendSequence` overrides the ISN generator (a
    /// SYN that ends TIME_WAIT); a SYN cookie still chooses its own.
    func handleListenerSegment(_ inbound: InboundSegment, key: FlowKey, now: UInt64, initialSendSequence: SequenceNumber? = nil) {
        let flags = inbound.segment.flags
        if flags.contains(.rst) {
            counters.resetsIgnored &+= 1
        } else if flags.contains(.ack) {
            guard flags.contains(.syn) else { return acceptCookie(inbound, key: key, now: now) }
            counters.unacceptableSegments &+= 1
            sendReset(answering: inbound, now: now)
        } else if flags.contains(.syn) {
            guard !flags.contains(.fin) else { return counters.synsDroppedBadFlags &+= 1 }
            acceptSYN(inbound, key: key, now: now, initialSendSequence: initialSendSequence)
        } else {
            counters.segmentsDroppedInListen &+= 1
        }
    }

    /// Connections that could still be installed: free flow indices and ring pairs, whichever are fewer.
    var freeConnectionSlots: Int { min(flowIndices.availableCount, ringAllocator.availablePairs) }

    /// Free slots no SYN-queue entry has been promised yet (each entry's SYN-ACK promised one).
    var unclaimedConnectionSlots: Int { freeConnectionSlots - synQueue.count }

    /// A SYN to a listener: answered with a SYN-ACK from the SYN queue, or with a SYN cookie.
    ///
    /// Capacity decision (issue 8 item 6): a SYN-ACK promises that the final ACK will find a
    /// connection. With no free flow index or ring pair the SYN is dropped unanswered (counted in
    /// `synsDroppedNoResources`); the client retransmits it with back-off and connects once a slot
    /// frees. A SYN-queue entry is made only while a free slot is left unclaimed by the entries already
    /// there (`unclaimedConnectionSlots`), so the queue never promises more than is free; beyond that
    /// (or beyond `synQueueCapacity`) the answer is a stateless SYN cookie — queued entries may be
    /// forged and never complete, and a SYN flood must not lock real clients out. Whenever the final
    /// ACK (queued or cookie) finds no slot after all, it is answered with an RST
    /// (`acknowledgmentsResetNoResources`): the peer never believes in a connection we do not have.
    /// A SYN to a listener whose application's ring pool is exhausted (its per-application
    /// connection limit, service mode) while the stack has room is refused at once with an RST
    /// (`synsResetApplicationLimit`, and a refusal of that pool): the limit is the application's, so
    /// waiting for the client's retransmission would not help.
    private func acceptSYN(_ inbound: InboundSegment, key: FlowKey, now: UInt64, initialSendSequence: SequenceNumber?) {
        counters.synsReceived &+= 1
        guard let listener = listeners[key.localPort], listener.ready.count < listener.backlog else {
            counters.synsDroppedBacklogFull &+= 1
            return
        }
        guard freeConnectionSlots > 0 else { return counters.synsDroppedNoResources &+= 1 }
        guard ringAllocator.availablePairs(forContext: listener.context) > 0 else {
            counters.synsResetApplicationLimit &+= 1
            ringAllocator.recordRefusal(forContext: listener.context)
            return sendReset(answering: inbound, now: now)
        }
        guard synQueue.count < configuration.synQueueCapacity, unclaimedConnectionSlots > 0 else {
            return answerWithCookie(inbound, key: key, now: now)
        }
        let syn = inbound.segment
        let initialSendSequence = initialSendSequence ?? SequenceNumber(sequenceNumbers.initialSequenceNumber(
            localAddress: key.localAddress, localPort: key.localPort, remoteAddress: key.remoteAddress, remotePort: key.remotePort,
            nowNanoseconds: now))
        let entry = HalfOpenConnection(key: key, remoteMAC: inbound.sourceMAC, listenerPort: key.localPort,
                                       options: NegotiatedOptions(answering: syn, configuration: configuration),
                                       initialSendSequence: initialSendSequence, initialReceiveSequence: syn.sequenceNumber,
                                       deadline: retransmissionDeadline(now: now, retries: 0))
        synQueue[key] = entry
        handshakeTimers.push(entry.deadline, key: key)
        sendSYNACK(for: entry, now: now)
    }

    func sendSYNACK(for entry: HalfOpenConnection, now: UInt64) {
        let options = handshakeOptions(windowScale: entry.options.windowScaling, sackPermitted: entry.options.selectiveAcknowledgment,
                                       timestamps: entry.options.timestamps, timestampEcho: entry.options.timestampRecent, now: now)
        let segment = TCPSegmentRepr(sourcePort: entry.key.localPort, destinationPort: entry.key.remotePort,
                                     sequenceNumber: entry.initialSendSequence, acknowledgmentNumber: entry.initialReceiveSequence + 1,
                                     flags: entry.options.explicitCongestionNotification ? [.syn, .ack, .ece] : [.syn, .ack],
                                     window: handshakeWindow, options: options)
        send(segment, to: entry.key.remoteAddress, remoteMAC: entry.remoteMAC, now: now)
        counters.synAcksSent &+= 1
    }

    /// The SYN queue is full, or its entries claim every free slot: answer statelessly (RFC 4987 §3.6).
    private func answerWithCookie(_ inbound: InboundSegment, key: FlowKey, now: UInt64) {
        let syn = inbound.segment
        let negotiated = NegotiatedOptions(answering: syn, configuration: configuration)
        let cookieOptions = negotiated.timestamps
            ? SYNCookieOptions(windowScale: negotiated.windowScaling ? negotiated.sendWindowShift : nil,
                               sackPermitted: negotiated.selectiveAcknowledgment,
                               explicitCongestionNotification: negotiated.explicitCongestionNotification)
            : nil
        let cookie = cookies.encode(localAddress: key.localAddress, localPort: key.localPort, remoteAddress: key.remoteAddress,
                                    remotePort: key.remotePort, clientSequenceNumber: syn.sequenceNumber.rawValue,
                                    maximumSegmentSize: min(negotiated.peerMaximumSegmentSize, localMaximumSegmentSize),
                                    options: cookieOptions, timestampClock: FastPath.timestampClock(now), nowNanoseconds: now)
        var options = TCPOptions(maximumSegmentSize: cookie.maximumSegmentSize,
                                 windowScale: cookieOptions?.windowScale == nil ? nil : configuration.receiveWindowShift,
                                 sackPermitted: cookieOptions?.sackPermitted ?? false)
        if let value = cookie.timestampValue { options.timestamps = TCPTimestamps(value: value, echoReply: negotiated.timestampRecent) }
        let ecn = cookieOptions?.explicitCongestionNotification ?? false
        let segment = TCPSegmentRepr(sourcePort: key.localPort, destinationPort: key.remotePort,
                                     sequenceNumber: SequenceNumber(cookie.sequenceNumber), acknowledgmentNumber: syn.sequenceNumber + 1,
                                     flags: ecn ? [.syn, .ack, .ece] : [.syn, .ack], window: handshakeWindow, options: options)
        send(segment, to: key.remoteAddress, remoteMAC: inbound.sourceMAC, now: now)
        counters.cookiesSent &+= 1
    }

    /// An ACK to a listening port without a SYN-queue entry: a cookie handshake's ACK, or forged.
    private func acceptCookie(_ inbound: InboundSegment, key: FlowKey, now: UInt64) {
        let segment = inbound.segment
        let result = cookies.decode(localAddress: key.localAddress, localPort: key.localPort, remoteAddress: key.remoteAddress,
                                    remotePort: key.remotePort, sequenceNumber: segment.sequenceNumber.rawValue,
                                    acknowledgmentNumber: segment.acknowledgmentNumber.rawValue,
                                    echoedTimestamp: segment.options.timestamps?.echoReply, nowNanoseconds: now)
        switch result {
        case let .success(contents):
            let options = NegotiatedOptions(cookie: contents, timestampRecent: segment.options.timestamps?.value ?? 0,
                                            configuration: configuration)
            let handshake = Handshake(remoteMAC: inbound.sourceMAC, options: options,
                                      initialSendSequence: SequenceNumber(contents.serverInitialSequenceNumber),
                                      initialReceiveSequence: SequenceNumber(contents.clientInitialSequenceNumber),
                                      peerWindow: UInt32(segment.window) << UInt32(options.sendWindowShift),
                                      echoedTimestamp: segment.options.timestamps?.echoReply)
            if completePassiveOpen(key: key, handshake, completing: inbound, now: now) == .established { counters.cookiesAccepted &+= 1 }
        case .failure(let rejection):
            if rejection == .expired { counters.cookiesExpired &+= 1 } else { counters.cookiesForged &+= 1 }
            sendReset(answering: inbound, now: now)
        }
    }

    /// A segment for a SYN-RECEIVED entry (RFC 9293 §3.10.7.4 with RFC 5961 §3.2 for RSTs).
    func handleHalfOpenSegment(_ inbound: InboundSegment, entry: HalfOpenConnection, now: UInt64) {
        let segment = inbound.segment
        if segment.flags.contains(.rst) {
            if acceptsSynReceivedReset(segment, entry: entry, now: now) { synQueue[entry.key] = nil }
        } else if segment.flags.contains(.syn) {
            answerSynReceivedSYN(segment, entry: entry, now: now)
        } else if segment.flags.contains(.ack) {
            guard segment.acknowledgmentNumber == entry.initialSendSequence + 1 else {
                counters.unacceptableSegments &+= 1
                return sendReset(answering: inbound, now: now)
            }
            let handshake = handshake(completing: entry, with: segment)
            if completePassiveOpen(key: entry.key, handshake, completing: inbound, now: now) != .deferred { synQueue[entry.key] = nil }
        } else {
            counters.unacceptableSegments &+= 1
        }
    }

    /// What became of a handshake's final ACK.
    private enum PassiveOpenOutcome {
        case established
        /// The backlog is full: the ACK was dropped; a later ACK may complete the handshake.
        case deferred
        /// No flow index or ring pair was free: the ACK was answered with an RST.
        case refused
    }

    /// Installs the connection and queues it for `accept`. When the backlog is full the ACK is dropped
    /// (counted) and the handshake may complete on a later ACK; when no flow index or ring pair is
    /// free, the ACK gets an RST (counted; see `acceptSYN`).
    private func completePassiveOpen(key: FlowKey, _ handshake: Handshake, completing inbound: InboundSegment,
                                     now: UInt64) -> PassiveOpenOutcome {
        guard var listener = listeners[key.localPort], listener.ready.count < listener.backlog else {
            counters.acknowledgmentsDroppedBacklogFull &+= 1
            return .deferred
        }
        let flow = register(Connection(phase: .synSent, key: key, opaque: listener.opaque, context: listener.context, acceptedBy: key.localPort,
                                       sequence: handshake.initialSendSequence))
        guard let flow, establish(flow, handshake, now: now) else {
            if let flow { release(flow) }
            counters.acknowledgmentsResetNoResources &+= 1
            sendReset(answering: inbound, now: now)
            return .refused
        }
        listener.ready.append(flow)
        listeners[key.localPort] = listener
        counters.passiveOpens &+= 1
        // Data (or a FIN) riding on the completing ACK goes where it would have gone on an established flow.
        if inbound.payloadLength > 0 || inbound.segment.flags.contains(.fin) { handleConnectionSegment(inbound, flow: flow, now: now) }
        return .established
    }
}
