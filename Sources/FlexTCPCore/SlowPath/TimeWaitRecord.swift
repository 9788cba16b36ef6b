import FlexWire

/// What the slow path keeps of a connection in TIME_WAIT once its application has heard it closed:
/// enough to answer the peer (RFC 9293 §3.10.7.4), judge a reopening SYN (RFC 6191, RFC 7323 PAWS)
/// and end on time — no flow index, no fast-path flow, no rings.
///
/// Contract: built from the flow's last fast-path state (`init(state:deadline:)`); `answerState`
/// rebuilds a fast-path state that numbers our ACKs exactly as the flow did (SND.NXT, RCV.NXT, the
/// window and TS.Recent it last advertised). `scheduledWake` is the time of the record's live entry
/// in `SlowPath.timeWaitTimers` (at or before `deadline`).
struct TimeWaitRecord {
    let remoteMAC: MACAddress
    let sendNext: SequenceNumber
    let receiveNext: SequenceNumber
    /// TS.Recent when timestamps were negotiated (nil: they were not).
    let timestampRecent: UInt32?
    let receiveSpace: UInt32
    let receiveWindowShift: UInt8
    var deadline: UInt64
    var scheduledWake: UInt64

    init(state: FlowState, deadline: UInt64) {
        remoteMAC = state.remoteMAC
        sendNext = state.sendNext
        receiveNext = state.receiveNext
        timestampRecent = state.options.contains(.timestamps) ? state.timestampRecent : nil
        receiveSpace = state.receiveSpace
        receiveWindowShift = state.receiveWindowShift
        self.deadline = deadline
        scheduledWake = deadline
    }

    /// A fast-path state for `key` that header-only answers are built from (`SlowPath.sendFlowSegment`).
    func answerState(key: FlowKey) -> FlowState {
        var state = FlowState()
        state.localPort = key.localPort
        state.remotePort = key.remotePort
        state.remoteAddress = key.remoteAddress
        state.remoteMAC = remoteMAC
        // Nothing in flight: SND.NXT = SND.UNA.
        state.sendUnacknowledged = sendNext
        state.receiveNext = receiveNext
        state.receiveSpace = receiveSpace
        state.receiveWindowShift = receiveWindowShift
        if let timestampRecent {
            state.options = .timestamps
            state.timestampRecent = timestampRecent
        }
        return state
    }
}
