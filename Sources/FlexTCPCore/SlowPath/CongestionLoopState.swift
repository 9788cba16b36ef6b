/// One flow's congestion-control loop: its controller and the counter readings of the previous
/// control step (the next feedback is the difference).
///
/// Contract: `due` is the time of the flow's next control step; the schedule may hold stale entries
/// for it, and only an entry whose time equals `due` runs.
struct CongestionLoopState {
    var controller: any CongestionController
    var due: UInt64
    var lastStep: UInt64
    var ackedBytes: UInt32
    var ecnMarkedBytes: UInt32
    var fastRetransmits: UInt32
    var retransmissionTimeouts: UInt32

    init(controller: any CongestionController, flow state: FlowState, timeouts: UInt32, now: UInt64) {
        self.controller = controller
        due = now &+ controller.controlIntervalNanoseconds
        lastStep = now
        ackedBytes = state.ackedBytes
        ecnMarkedBytes = state.ecnMarkedBytes
        fastRetransmits = state.fastRetransmits
        retransmissionTimeouts = timeouts
    }

    /// One control step: the controller takes the feedback since the previous step, the next step
    /// is due one control interval from `now`. Returns the rate to program.
    mutating func step(flow state: FlowState, timeouts: UInt32, now: UInt64) -> UInt64 {
        let rate = controller.update(with: takeFeedback(flow: state, timeouts: timeouts, now: now))
        due = now &+ controller.controlIntervalNanoseconds
        return rate
    }

    /// The feedback since the previous step, and the counters remembered for the next one.
    private mutating func takeFeedback(flow state: FlowState, timeouts: UInt32, now: UInt64) -> CongestionFeedback {
        let feedback = CongestionFeedback(
            ackedBytes: UInt64(state.ackedBytes &- ackedBytes), ecnMarkedBytes: UInt64(state.ecnMarkedBytes &- ecnMarkedBytes),
            fastRetransmits: state.fastRetransmits &- fastRetransmits, retransmissionTimeouts: timeouts &- retransmissionTimeouts,
            rttEstimateNanoseconds: UInt64(state.roundTripMicroseconds) * 1000, intervalNanoseconds: now &- lastStep)
        ackedBytes = state.ackedBytes
        ecnMarkedBytes = state.ecnMarkedBytes
        fastRetransmits = state.fastRetransmits
        retransmissionTimeouts = timeouts
        lastStep = now
        return feedback
    }
}
