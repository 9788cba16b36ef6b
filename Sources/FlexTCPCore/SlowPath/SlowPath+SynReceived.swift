import FlexWire

// Rules shared by both kinds of SYN-RECEIVED: a SYN-queue entry (passive open) and a simultaneous open.
extension SlowPath {
    /// RFC 5961 §3.2 for an RST in SYN-RECEIVED: true (counted) when it sits exactly at RCV.NXT (IRS+1)
    /// and ends the handshake; one elsewhere in our window gets a challenge ACK, others are ignored.
    func acceptsSynReceivedReset(_ segment: TCPSegmentRepr, entry: HalfOpenConnection, now: UInt64) -> Bool {
        let offset = segment.sequenceNumber - (entry.initialReceiveSequence + 1)
        if offset == 0 {
            counters.resetsAccepted &+= 1
            return true
        }
        if offset > 0 && UInt32(offset) < UInt32(handshakeWindow) {
            sendHalfOpenChallengeAcknowledgment(entry, now: now)
        } else {
            counters.resetsIgnored &+= 1
        }
        return false
    }

    /// A SYN in SYN-RECEIVED: the peer's SYN again (our SYN-ACK was lost) gets the SYN-ACK again; any
    /// other SYN gets a challenge ACK (RFC 5961 §4.2).
    func answerSynReceivedSYN(_ segment: TCPSegmentRepr, entry: HalfOpenConnection, now: UInt64) {
        guard segment.sequenceNumber == entry.initialReceiveSequence, !segment.flags.contains(.ack) else {
            return sendHalfOpenChallengeAcknowledgment(entry, now: now)
        }
        sendSYNACK(for: entry, now: now)
    }

    /// The handshake `segment` completes for a SYN-RECEIVED entry (the final ACK, or the peer's SYN-ACK
    /// in a simultaneous open): the entry's options with TS.Recent from the segment, and its window —
    /// never scaled on a segment that carries SYN (RFC 7323 §2.2).
    func handshake(completing entry: HalfOpenConnection, with segment: TCPSegmentRepr) -> Handshake {
        var options = entry.options
        if let timestamps = segment.options.timestamps, options.timestamps { options.timestampRecent = timestamps.value }
        let shift = segment.flags.contains(.syn) ? 0 : UInt32(options.sendWindowShift)
        return Handshake(remoteMAC: entry.remoteMAC, options: options, initialSendSequence: entry.initialSendSequence,
                         initialReceiveSequence: entry.initialReceiveSequence, peerWindow: UInt32(segment.window) << shift,
                         echoedTimestamp: segment.options.timestamps?.echoReply)
    }

    /// RFC 5961 §3.2 challenge ACK from SYN-RECEIVED: <SEQ=ISS+1><ACK=IRS+1><CTL=ACK>, within the
    /// challenge-ACK budget.
    func sendHalfOpenChallengeAcknowledgment(_ entry: HalfOpenConnection, now: UInt64) {
        guard takeChallengeAcknowledgment(now: now) else { return }
        let timestamps = entry.options.timestamps
            ? TCPTimestamps(value: FastPath.timestampClock(now), echoReply: entry.options.timestampRecent) : nil
        let segment = TCPSegmentRepr(sourcePort: entry.key.localPort, destinationPort: entry.key.remotePort,
                                     sequenceNumber: entry.initialSendSequence + 1, acknowledgmentNumber: entry.initialReceiveSequence + 1,
                                     flags: .ack, window: handshakeWindow, options: TCPOptions(timestamps: timestamps))
        send(segment, to: entry.key.remoteAddress, remoteMAC: entry.remoteMAC, now: now)
    }
}
