import FlexWire

// TIME_WAIT without a flow: once the application has heard that a connection we closed first is
// closed, its flow index, fast-path flow and rings go back at once and a `TimeWaitRecord` keyed by
// the 4-tuple holds TIME_WAIT until `timeWaitDuration` has passed (as Linux's timewait sockets do).
// Records are bounded (`timeWaitCapacity`): when full, the record due first ends early
// (`timeWaitEvicted`). Their timers are a deadline heap with one live entry per record (a
// restarted timer keeps its entry, which reschedules the record when it comes due); the heap is
// rebuilt from the records when stale entries (of records reopened by a SYN) outnumber them.
extension SlowPath {
    /// Moves `flow` (in TIME_WAIT, its close reported) to a record until `deadline` and gives its
    /// flow index, fast-path flow and rings back. Returns false (the flow stays) when its fast-path
    /// state cannot be read.
    @discardableResult
    func retireToTimeWait(_ flow: FlowIndex, deadline: UInt64) -> Bool {
        guard let connection = connections[Int(flow)], let state = flows.state(of: flow) else { return false }
        release(flow)
        guard timeWaitCapacity > 0 else { return true }
        if timeWaitRecords.count >= timeWaitCapacity { evictEarliestTimeWait() }
        if timeWaitTimers.count >= 2 * timeWaitCapacity { rebuildTimeWaitTimers() }
        timeWaitRecords[connection.key] = TimeWaitRecord(state: state, deadline: deadline)
        timeWaitTimers.push(deadline, key: connection.key)
        return true
    }

    /// The records' bound: configured, or 4 × the flow capacity.
    var timeWaitCapacity: Int { configuration.timeWaitCapacity ?? 4 * connections.count }

    /// Connections in TIME_WAIT that gave their flows back (`TimeWaitRecord`s held).
    package var timeWaitCount: Int { timeWaitRecords.count }

    /// The state of the connection on the 4-tuple `key`: its flow's, or TIME_WAIT while a record
    /// holds the 4-tuple (nil: neither).
    package func state(of key: FlowKey) -> TCPConnectionState? {
        if let flow = flowsByKey[key] { return state(of: flow) }
        return timeWaitRecords[key] == nil ? nil : .timeWait
    }

    /// Ends the records whose TIME_WAIT is over by `now` (`timeWaitExpired`).
    func runTimeWaitTimers(now: UInt64) {
        while let entry = timeWaitTimers.popDue(now: now) {
            guard isDue(entry) else { continue }
            timeWaitRecords[entry.key] = nil
            counters.timeWaitExpired &+= 1
        }
    }

    /// True when `entry` (popped from `timeWaitTimers`) is its record's live entry and the record is
    /// due at its time; false for a stale entry, or for a record whose timer was restarted (its entry
    /// is pushed again at its new deadline).
    private func isDue(_ entry: (time: UInt64, key: FlowKey)) -> Bool {
        guard let record = timeWaitRecords[entry.key], record.scheduledWake == entry.time else { return false }
        guard record.deadline <= entry.time else {
            timeWaitRecords[entry.key]?.scheduledWake = record.deadline
            timeWaitTimers.push(record.deadline, key: entry.key)
            return false
        }
        return true
    }

    /// Drops the record due first (its TIME_WAIT ends early), counted in `timeWaitEvicted`.
    private func evictEarliestTimeWait() {
        while let entry = timeWaitTimers.popDue(now: .max) {
            guard isDue(entry) else { continue }
            timeWaitRecords[entry.key] = nil
            counters.timeWaitEvicted &+= 1
            return
        }
    }

    /// One heap entry per record, at its scheduled wake: drops the stale entries.
    private func rebuildTimeWaitTimers() {
        timeWaitTimers = DeadlineHeap()
        for (key, record) in timeWaitRecords { timeWaitTimers.push(record.scheduledWake, key: key) }
    }

    /// A segment for a 4-tuple a record holds in TIME_WAIT (RFC 9293 §3.10.7.4): every RST is ignored
    /// (RFC 1337); a SYN that cannot be an old duplicate reopens the 4-tuple when a listener takes
    /// it, any other SYN gets a challenge ACK (RFC 5961 §4.2); segments without ACK are dropped; the
    /// peer's FIN again is acknowledged again and restarts the timer; a duplicate pure ACK at
    /// RCV.NXT is dropped silently (no ACK war with a peer that answers ACKs); other segments (data,
    /// sequence numbers elsewhere) get an ACK within the challenge-ACK budget.
    func handleTimeWaitSegment(_ inbound: InboundSegment, key: FlowKey, record: TimeWaitRecord, now: UInt64) {
        let segment = inbound.segment
        if segment.flags.contains(.rst) {
            counters.resetsIgnored &+= 1
        } else if segment.flags.contains(.syn) {
            if reopensTimeWait(segment, receiveNext: record.receiveNext, timestampRecent: record.timestampRecent),
               let listener = listeners[key.localPort], listener.ready.count < listener.backlog,
               synQueue.count < configuration.synQueueCapacity, unclaimedConnectionSlots > 0 {
                // The reopen gets a SYN-queue entry (a cookie would pick its own ISS, not one past the old incarnation).
                counters.timeWaitReopenedBySYN &+= 1
                timeWaitRecords[key] = nil
                // RFC 1122 4.2.2.13: the new ISS lies beyond every sequence number of the old incarnation.
                return handleListenerSegment(inbound, key: key, now: now,
                                             initialSendSequence: record.sendNext + Self.timeWaitReopenSequenceGap)
            }
            // RFC 5961 §4.2: any other SYN gets a challenge ACK.
            sendChallengeAcknowledgment(record.answerState(key: key), now: now)
        } else if !segment.flags.contains(.ack) {
            counters.unacceptableSegments &+= 1
        } else if segment.flags.contains(.fin) && inbound.payloadEnd + 1 == record.receiveNext {
            timeWaitRecords[key]?.deadline = now &+ configuration.timeWaitDuration
            sendFlowSegment(record.answerState(key: key), sequence: record.sendNext, flags: .ack, now: now)
        } else if inbound.payloadLength > 0 || segment.flags.contains(.fin) || segment.sequenceNumber != record.receiveNext {
            sendChallengeAcknowledgment(record.answerState(key: key), now: now)
        }
        // Otherwise a duplicate pure ACK at RCV.NXT: nothing to answer.
    }

    /// How far beyond the old incarnation's SND.NXT the ISS of a TIME_WAIT reopen lies: more than a
    /// maximal unscaled window (65,535) past it.
    static let timeWaitReopenSequenceGap: UInt32 = 65_537

    /// RFC 9293 §3.10.7.4 / RFC 6191 / RFC 1122 4.2.2.13: a SYN (without ACK or FIN) may end TIME_WAIT and
    /// open a new incarnation when it cannot be an old duplicate: with timestamps on the old connection
    /// (`timestampRecent` set) and on the SYN, its TSval is newer than TS.Recent (or equal with a
    /// higher sequence number); otherwise its sequence number is beyond the old RCV.NXT.
    private func reopensTimeWait(_ syn: TCPSegmentRepr, receiveNext: SequenceNumber, timestampRecent: UInt32?) -> Bool {
        guard syn.flags.isDisjoint(with: [.ack, .fin]) else { return false }
        let sequenceBeyond = syn.sequenceNumber - receiveNext > 0
        if let timestampRecent, let timestamps = syn.options.timestamps {
            let age = Int32(bitPattern: timestamps.value &- timestampRecent)
            return age > 0 || (age == 0 && sequenceBeyond)
        }
        return sequenceBeyond
    }
}
