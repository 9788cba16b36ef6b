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
        connections[Int(flow)]?.congestion = loop
        flows.setRate(flow: flow, bytesPerSecond: loop.controller.rateBytesPerSecond, now: now)
        controlSchedule.push(loop.due, flow: flow)
    }

    /// The flow's current congestion controller (nil without congestion control or connection).
    public func congestionController(of flow: FlowIndex) -> (any CongestionController)? {
        Int(flow) < connections.count ? connections[Int(flow)]?.congestion?.controller : nil
    }

    /// Runs every control step due by `now`.
    func runCongestionLoop(now: UInt64) {
        while let entry = controlSchedule.popDue(now: now) {
            let flow = entry.flow
            guard let connection = connections[Int(flow)], var loop = connection.congestion, loop.due == entry.time,
                  let state = flows.state(of: flow) else { continue }
            let feedback = loop.takeFeedback(flow: state, timeouts: connection.retransmissionTimeouts, now: now)
            let rate = loop.controller.update(with: feedback)
            flows.setRate(flow: flow, bytesPerSecond: rate, now: now)
            loop.due = now &+ loop.controller.controlIntervalNanoseconds
            connections[Int(flow)]?.congestion = loop
            controlSchedule.push(loop.due, flow: flow)
        }
    }
}
