// The congestion-control loop (dissertation §4.3.2, A.2): every control interval, per flow, read the
// fast path's counters and the timeouts, update the controller, program the rate.
//
// Cost: a binary heap of due times, so `advance` pops only the flows whose step is due — O(log n)
// per step and O(1) when none is due — instead of scanning every flow slot. A flow that is idle at
// its step (nothing in flight or waiting, no counter moved since the previous step) parks its loop
// instead: that step would measure nothing and leave the rate as it is (`DCTCPRateController`), and
// an idle connection must cost `advance` nothing. The loop resumes, one control interval ahead, when
// the fast path reports the flow changed (`resumeCongestionLoop`). The queue manager is told only
// rate changes; an unpaced flow (`CongestionController.pacesFlow` false) costs it no pacing work.
extension SlowPath {
    /// Gives a newly installed flow its controller, started from the RTT its handshake measured
    /// (`handshakeRoundTrip`, 0: none), and programs the initial rate.
    func startCongestionLoop(_ flow: FlowIndex, state: FlowState, handshakeRoundTrip: UInt64, now: UInt64) {
        guard let algorithm = configuration.congestionControl else { return }
        let loop = CongestionLoopState(controller: algorithm.makeController(), flow: state, handshakeRoundTrip: handshakeRoundTrip, now: now)
        congestionLoops[Int(flow)] = loop
        flows.setRate(flow: flow, bytesPerSecond: loop.programmedRate, now: now)
        controlSchedule.push(loop.due, key: flow)
    }

    /// The flow's current congestion controller (nil without congestion control or connection).
    package func congestionController(of flow: FlowIndex) -> (any CongestionController)? {
        Int(flow) < congestionLoops.count ? congestionLoops[Int(flow)]?.controller : nil
    }

    /// Runs every control step due by `now`.
    func runCongestionLoop(now: UInt64) {
        while let entry = controlSchedule.popDue(now: now) {
            let flow = Int(entry.key)
            guard let timeouts = connections[flow]?.retransmissionTimeouts, congestionLoops[flow]?.due == entry.time,
                  let state = flows.state(of: entry.key) else { continue }
            counters.connectionVisits &+= 1
            if congestionLoops[flow]?.parksIdle(flow: state, timeouts: timeouts) == true { continue }
            // In place: a copy of the loop would share its boxed controller, and updating it would copy the box.
            let changedRate = congestionLoops[flow]?.step(flow: state, timeouts: timeouts, now: now)
            guard let due = congestionLoops[flow]?.due else { continue }
            if let rate = changedRate { flows.setRate(flow: entry.key, bytesPerSecond: rate, now: now) }
            controlSchedule.push(due, key: entry.key)
        }
    }

    /// Schedules the parked loop of a flow that has something to send again, one control interval from `now`.
    func resumeCongestionLoop(_ flow: FlowIndex, now: UInt64) {
        guard congestionLoops[Int(flow)]?.isParked == true, let state = flows.state(of: flow), !state.isSendIdle,
              let due = congestionLoops[Int(flow)]?.resume(now: now) else { return }
        controlSchedule.push(due, key: flow)
    }
}
