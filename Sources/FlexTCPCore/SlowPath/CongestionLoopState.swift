/// One flow's congestion-control loop: its controller and the counter readings of the previous
/// control step (the next feedback is the difference).
///
/// Contract: `due` is the time of the flow's next control step (`.max` while parked); the schedule
/// may hold stale entries for it, and only an entry whose time equals `due` runs.
struct CongestionLoopState {
    var controller: any CongestionController
    var due: UInt64
    var lastStep: UInt64
    var ackedBytes: UInt32
    var ecnMarkedBytes: UInt32
    var fastRetransmits: UInt32
    var retransmissionTimeouts: UInt32
    /// The rate last programmed into the queue manager (`controller.queueManagerRate`).
    var programmedRate: UInt64

    /// `handshakeRoundTrip`: the RTT the handshake measured (0: none), for the controller's start.
    init(controller: any CongestionController, flow state: FlowState, handshakeRoundTrip: UInt64, now: UInt64) {
        var controller = controller
        controller.begin(roundTripNanoseconds: handshakeRoundTrip, maximumSegmentBytes: UInt64(state.maximumSegmentSize))
        self.controller = controller
        due = now &+ controller.controlIntervalNanoseconds
        lastStep = now
        ackedBytes = state.ackedBytes
        ecnMarkedBytes = state.ecnMarkedBytes
        fastRetransmits = state.fastRetransmits
        retransmissionTimeouts = 0
        programmedRate = controller.queueManagerRate
    }

    var isParked: Bool { due == .max }

    /// Parks the loop (true) when the flow is idle and no counter moved since the previous step: the
    /// step would measure nothing. The readings stay, so the first step after `resume` sees all since.
    mutating func parksIdle(flow state: FlowState, timeouts: UInt32) -> Bool {
        guard state.isSendIdle, state.ackedBytes == ackedBytes, state.ecnMarkedBytes == ecnMarkedBytes,
              state.fastRetransmits == fastRetransmits, timeouts == retransmissionTimeouts else { return false }
        due = .max
        return true
    }

    /// Schedules the next step one control interval from `now`, measured from `now` (as if a step
    /// had run then); returns its time.
    mutating func resume(now: UInt64) -> UInt64 {
        lastStep = now
        due = now &+ controller.controlIntervalNanoseconds
        return due
    }

    /// One control step: the controller takes the feedback since the previous step, the next step
    /// is due one control interval from `now`. Returns the rate to program into the queue manager,
    /// or nil when it is the one programmed already.
    mutating func step(flow state: FlowState, timeouts: UInt32, now: UInt64) -> UInt64? {
        _ = controller.update(with: takeFeedback(flow: state, timeouts: timeouts, now: now))
        due = now &+ controller.controlIntervalNanoseconds
        let rate = controller.queueManagerRate
        guard rate != programmedRate else { return nil }
        programmedRate = rate
        return rate
    }

    /// The feedback since the previous step, and the counters remembered for the next one.
    private mutating func takeFeedback(flow state: FlowState, timeouts: UInt32, now: UInt64) -> CongestionFeedback {
        let feedback = CongestionFeedback(
            ackedBytes: UInt64(state.ackedBytes &- ackedBytes), ecnMarkedBytes: UInt64(state.ecnMarkedBytes &- ecnMarkedBytes),
            fastRetransmits: state.fastRetransmits &- fastRetransmits, retransmissionTimeouts: timeouts &- retransmissionTimeouts,
            rttEstimateNanoseconds: UInt64(state.roundTripMicroseconds) * 1000, intervalNanoseconds: now &- lastStep,
            hasBytesWaiting: state.transmitPending > 0,
            isWindowLimited: state.transmitPending > 0 && state.sequenceNumbersInFlight >= state.peerWindow / 2)
        ackedBytes = state.ackedBytes
        ecnMarkedBytes = state.ecnMarkedBytes
        fastRetransmits = state.fastRetransmits
        retransmissionTimeouts = timeouts
        lastStep = now
        return feedback
    }
}

extension FlowState {
    /// Nothing to send and nothing in flight: no byte, no FIN waiting or unacknowledged.
    var isSendIdle: Bool { sequenceNumbersInFlight == 0 && transmitPending == 0 && !finDue }
}
