// Connection timers from deadline heaps (issue 9): `advance` touches only the connections that have
// a timer due or whose fast-path state changed, so its cost does not grow with idle connections.
//
// Three sources of work, each bounded by active connections:
// - `connectionTimers`: one live entry per connection with a deadline (SYN retransmission, data/FIN
//   retransmission, tail loss probe, zero-window probe, TIME_WAIT's end, RACK's reorder deadline) at
//   `Connection.scheduledWake`. A deadline
//   that moves later (the retransmission timer restarting on every ACK) keeps its entry, which wakes
//   the connection at the old time to be scheduled anew: no heap work per ACK. A deadline that moves
//   earlier pushes a new entry; the old one is stale (its time no longer matches) and skipped.
// - Changed flows: the timers of an installed flow depend on fast-path state (bytes in flight,
//   SND.UNA, the peer's window, FINs) that changes without the slow path. The fast path lists every
//   flow whose state it changes (`FlowControl.takeChangedFlows`: a flag and a list on its thread, the
//   snapshots' change ring across threads), and `advance` examines exactly those. An idle connection
//   that starts sending is listed by the send itself, so its retransmission timer is armed at the
//   next `advance`, as the old scan of every connection did, without that scan. Why this rather than
//   a periodic re-arm of connections with bytes in flight: finding those needs the same per-flow
//   signal, and the restart on ACK progress would then be late by up to the re-arm period.
// - `handshakeTimers`: SYN-ACK retransmissions of the SYN queue, by 4-tuple.
// Congestion-control steps have their own schedule (`SlowPath+CongestionLoop.swift`); a loop parks
// while its flow is idle and resumes when the flow is reported changed.
extension SlowPath {
    /// Makes sure the connection's timer wakes it by its deadline or its scoreboard's reorder deadline
    /// (RACK), whichever is first — or just after `now` when that has passed (the connection could not
    /// act on it now): pushes an entry when none is scheduled by then (O(log n)); does nothing for a
    /// connection without either.
    func scheduleTimer(_ flow: FlowIndex, now: UInt64) {
        guard let connection = connections[Int(flow)] else { return }
        let deadline = min(connection.deadline, scoreboards[Int(flow)]?.reorderDeadline ?? .max)
        guard deadline != .max else { return }
        let wake = connection.scheduledWake
        let time = max(deadline, now &+ 1)
        guard time < wake else { return }
        connections[Int(flow)]?.scheduledWake = time
        connectionTimers.push(time, key: flow)
    }

    /// Examines each flow the fast path reported changed (at most every `changeExaminationInterval`):
    /// moves the connection on when its FINs, SND.UNA or wanted timer changed, and resumes its
    /// congestion loop when it parked. Called from `nextChangeExamination` on.
    ///
    /// Under request/response nearly every change is an open connection's SND.UNA moving or its
    /// data going in flight, and all it needs is its timer re-armed: that is done in place on the
    /// flow's state read once (`rearmsInPlace`); the rest (a FIN to take, a timer due, a
    /// connection opening or closing) goes through `progress`.
    func examineChangedFlows(now: UInt64) {
        nextChangeExamination = now &+ configuration.changeExaminationInterval
        changedFlows.removeAll(keepingCapacity: true)
        flows.takeChangedFlows { changedFlows.append($0) }
        for flow in changedFlows {
            guard let phase = connections[Int(flow)]?.phase, let deadline = connections[Int(flow)]?.deadline else { continue }
            counters.connectionVisits &+= 1
            if let state = flows.state(of: flow), rearmsInPlace(phase, deadline: deadline, state: state, now: now) {
                armRetransmissionTimer(flow, &connections[Int(flow)]!, state: state, now: now)
                if now < connections[Int(flow)]!.deadline {
                    scheduleTimer(flow, now: now)
                    recoverSelectively(flow, state: state, now: now)
                    // Only a flow with something to send resumes a parked loop (looking costs a copy of the loop).
                    if !state.isSendIdle { resumeCongestionLoop(flow, now: now) }
                    continue
                }
                // A zero timeout: due at once.
                progress(flow, now: now)
            } else if needsProgress(Int(flow), now: now) {
                progress(flow, now: now)
            }
            recoverSelectively(flow, now: now)
            resumeCongestionLoop(flow, now: now)
        }
    }

    /// True when all a changed flow may need of `progress` is its retransmission timer re-armed: an
    /// open connection (ESTABLISHED or CLOSE-WAIT) with no FIN news in `state` (the peer's FIN
    /// already taken, ours not sent) and no timer due.
    @inline(__always)
    private func rearmsInPlace(_ phase: TCPConnectionState, deadline: UInt64, state: FlowState, now: UInt64) -> Bool {
        now < deadline && (phase == .closeWait || (phase == .established && !state.closeFlags.contains(.peerFinished)))
    }

    /// Runs the connection timers due by `now`, and SACK recovery for a connection whose scoreboard's
    /// reorder deadline came. A connection whose deadline is still due after it progressed (nothing it
    /// can do yet) is woken again after `now` (`scheduleTimer`), so one call ends.
    func runConnectionTimers(now: UInt64) {
        while let entry = connectionTimers.popDue(now: now) {
            guard connections[Int(entry.key)]?.scheduledWake == entry.time else { continue }
            counters.connectionVisits &+= 1
            connections[Int(entry.key)]?.scheduledWake = .max
            if needsProgress(Int(entry.key), now: now) { progress(entry.key, now: now) }
            if let due = scoreboards[Int(entry.key)]?.reorderDeadline, due <= now { recoverSelectively(entry.key, now: now) }
            scheduleTimer(entry.key, now: now)
        }
    }

    /// Retransmits the SYN-ACKs due by `now`; drops entries out of retries. Entries it pushes for `now`
    /// or earlier (a zero timeout) wait for the next call, so one call ends.
    func runHandshakeTimers(now: UInt64) {
        var remaining = handshakeTimers.count
        while remaining > 0, let due = handshakeTimers.popDue(now: now) {
            remaining -= 1
            guard let entry = synQueue[due.key], entry.deadline == due.time else { continue }
            counters.connectionVisits &+= 1
            guard entry.retries < configuration.synAckRetries else {
                synQueue[entry.key] = nil
                counters.synAckTimeouts &+= 1
                continue
            }
            let deadline = retransmissionDeadline(now: now, retries: entry.retries + 1)
            synQueue[entry.key]?.retries = entry.retries + 1
            synQueue[entry.key]?.deadline = deadline
            handshakeTimers.push(deadline, key: entry.key)
            counters.synAckRetransmissions &+= 1
            sendSYNACK(for: entry, now: now)
        }
    }
}
