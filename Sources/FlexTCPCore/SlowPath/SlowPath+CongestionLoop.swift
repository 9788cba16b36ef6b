// The congestion-control loop (dissertation §4.3.2, A.2): every control interval, per flow, read the
// fast path's counters and the timeouts, update the controller, program the rate.
//
// Cost: a binary heap of due times, so `advance` pops only the flows whose step is due — O(log n)
// per step and O(1) when none is due — instead of scanning every flow slot.
extension SlowPath {
    /// Gives a newly installed flow its controller and programs the initial rate.
    func startCongestionLoop(_ flow: FlowIndex, state: FlowState, now: UInt64) {
        guard let dctcp = configuration.congestionControl else { return }
        let loop = CongestionLoopState(controller: DCTCPRateController(configuration: dctcp), flow: state, timeouts: 0, now: now)
        congestionLoops[Int(flow)] = loop
        flows.setRate(flow: flow, bytesPerSecond: loop.controller.rateBytesPerSecond, now: now)
        controlSchedule.push(loop.due, flow: flow)
    }

    /// The flow's current congestion controller (nil without congestion control or connection).
    public func congestionController(of flow: FlowIndex) -> (any CongestionController)? {
        Int(flow) < congestionLoops.count ? congestionLoops[Int(flow)]?.controller : nil
    }

    /// Runs every control step due by `now`.
    func runCongestionLoop(now: UInt64) {
        while let entry = controlSchedule.popDue(now: now) {
            let flow = Int(entry.flow)
            guard let timeouts = connections[flow]?.retransmissionTimeouts, congestionLoops[flow]?.due == entry.time,
                  let state = flows.state(of: entry.flow),
                  // In place: a copy of the loop would share its boxed controller, and updating it would copy the box.
                  let rate = congestionLoops[flow]?.step(flow: state, timeouts: timeouts, now: now),
                  let due = congestionLoops[flow]?.due else { continue }
            flows.setRate(flow: entry.flow, bytesPerSecond: rate, now: now)
            controlSchedule.push(due, flow: entry.flow)
        }
    }
}
