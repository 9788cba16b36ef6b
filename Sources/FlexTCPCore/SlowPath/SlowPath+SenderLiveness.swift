// The sender liveness invariant (RFC 9293 §3.8.6.1, RFC 1122 4.2.2.17): a flow with bytes or a FIN
// to send always has a reason to act, so no lost segment can leave it silent for good.
extension SlowPath {
    /// Checks the invariant for one flow after any sequence of events: a flow with pending bytes or
    /// a FIN due is queued in the queue manager whenever the peer's window lets it send
    /// (`FlowState.canTransmitNow`); otherwise it has data or its FIN in flight under a
    /// retransmission timer, or the peer's window is closed and a window-probe timer runs. A timer
    /// counts as armed when it runs with a wake-up scheduled by its deadline, or when the fast path
    /// has listed the flow as changed, so that the next `advance` starts it (`needsProgress`).
    /// Returns a description of the stuck state, nil when the flow is live, has nothing to send or
    /// is not installed. `fastPath` must be the fast path behind `flows`, on the caller's thread.
    package func senderStall(of flow: FlowIndex, in fastPath: FastPath, now: UInt64) -> String? {
        guard let state = fastPath.state(of: flow), state.transmitPending > 0 || state.finDue else { return nil }
        let described = "flow \(flow): pending \(state.transmitPending), sent \(state.transmitSent), "
            + "peer window \(state.peerWindow), close flags \(state.closeFlags.rawValue), "
            + "queue manager bytes \(fastPath.queueManager.availableBytes(of: flow))"
        if state.canTransmitNow {
            return fastPath.isQueuedForTransmission(flow) ? nil : "\(described): may send now but is not queued"
        }
        guard let connection = connections[Int(flow)] else { return "\(described): no connection watches it" }
        let needed: RetransmissionTimerKind = state.sequenceNumbersInFlight > 0 ? .retransmission : .windowProbe
        switch connection.phase {
        case .established, .closeWait, .finWait1, .finWait2, .closing, .lastAck:
            break
        case .synSent, .timeWait, .closed:
            return "\(described): its connection (\(connection.phase)) runs no retransmission timer"
        }
        if wantedTimer(state) != needed { return "\(described): the slow path wants no \(needed) timer" }
        guard connection.timer == needed else {
            return fastPath.changes.isMarked(flow) ? nil : "\(described): \(needed) timer not started and the flow not listed as changed"
        }
        if connection.deadline == .max { return "\(described): \(needed) timer without deadline" }
        if connection.scheduledWake > connection.deadline { return "\(described): \(needed) timer not scheduled by its deadline" }
        return nil
    }
}
