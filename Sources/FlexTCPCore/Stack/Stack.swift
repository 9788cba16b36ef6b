import FlexPort
import FlexWire

/// A whole TCP stack embedded in the application's process: one port, its fast path, slow path and
/// network host, and the payload region with every connection's rings.
///
/// Contract: one thread drives it (run-to-completion): it calls `poll(now:)` repeatedly — each call
/// moves one receive batch through fast and slow path, runs due timers and transmits — and uses the
/// application API (`Stack+Application.swift`) between polls. Times are nanoseconds, never
/// decreasing. When `poll` reports no work, the caller may sleep until `nextDeadline` or until the
/// port has frames (`port.waitForFrames`). All memory is allocated in `init`, bounded by the
/// configuration.
package final class Stack {
    package let configuration: StackConfiguration
    package let port: any Port
    package let network: NetworkHost
    package let fastPath: FastPath
    package let slowPath: SlowPath
    let region: PayloadRegion
    let batch: FrameBatch
    /// The poll sequence's stages: this fast path, with this slow path on the same thread.
    let stages: FastPathStages<SlowPath>
    var phases: [StackConnectionPhase]
    var events: [ConnectionEvent] = []
    /// Passes `poll` found quiet (`isQuiet`) and cut short.
    package private(set) var quietPasses: UInt64 = 0

    package init(port: any Port, configuration: StackConfiguration) throws(NetworkConfigurationError) {
        self.configuration = configuration
        self.port = port
        network = try NetworkHost(port: port, configuration: configuration.network)
        region = PayloadRegion(size: configuration.payloadRegionSize)
        fastPath = FastPath(stack: configuration, port: port, payloadRegion: region)
        slowPath = SlowPath(fastPath: fastPath, network: network, configuration: configuration.slowPath)
        batch = FrameBatch(capacity: min(configuration.receiveBatchSize, FastPath.maximumReceiveBatch))
        stages = FastPathStages(fastPath: fastPath, slowPath: slowPath)
        phases = Array(repeating: .unused, count: configuration.flowCapacity)
    }

    /// One run-to-completion step: receive a batch, let the fast path and then the slow path handle
    /// it (connections whose FINs the fast path reported move on at once), release it, run due
    /// timers, transmit what the queue manager allows. After each stage that left events the
    /// fast path's flow events and the slow path's connection events are settled: by default the
    /// flow events are dropped (received bytes are read from each flow's ring state by `read`, which
    /// also covers events that overflowed) and connection events are recorded for `drainEvents`.
    /// A quiet pass — no frame waiting, nothing to transmit, no event, no timer due, no changed flow
    /// waiting for the slow path (`isQuiet`) — only polls the port and flushes the network host's
    /// frames: a few dozen instructions. Returns true if any frame was received or sent.
    @discardableResult
    package func poll(now: UInt64) -> Bool {
        poll(now: now) {
            fastPath.clearEvents()
            slowPath.drainEvents { record($0) }
        }
    }

    /// The same step with the caller settling events after each stage that left some (an embedding
    /// runtime routes flow events to application contexts and takes connection events itself);
    /// `settle` must leave the fast path's event list empty.
    @discardableResult
    package func poll(now: UInt64, settlingEventsWith settle: () -> Void) -> Bool {
        if isQuiet(now: now) {
            quietPasses &+= 1
            port.poll()
            network.flushTransmits()
            return false
        }
        let (received, sent) = PollSequence.poll(stages, port: port, batch: batch, now: now) {
            if fastPath.eventCount > 0 || !slowPath.events.isEmpty { settle() }
        }
        return received > 0 || sent > 0
    }

    /// Whether a pass at `now` would find nothing to do: no event to settle, nothing the fast path
    /// may transmit, no changed flow the slow path examines on every pass, no frame waiting at the
    /// port and no slow-path timer due. The port (one call through the `Port` existential) is asked
    /// before the slow path's deadline (a dozen timer loads): a busy pass usually has a frame waiting,
    /// and a quiet one asks both. Read from the live state on every pass (nothing cached), so calls
    /// into the fast or slow path between polls — the application's writes, a close, a test's direct
    /// call — are never missed.
    @inline(__always)
    func isQuiet(now: UInt64) -> Bool {
        fastPath.eventCount == 0 && !fastPath.hasTransmitWork && slowPath.events.isEmpty
            && (slowPath.examinesChangesOnTimer || fastPath.changes.isEmpty)
            && !port.mayHaveFramesToReceive && now < slowPath.nextDeadline
    }

    /// Sends at once what the application queued since the last `poll` and the ACKs held since
    /// (those its answers did not carry), instead of leaving them to the next poll's transmit stage:
    /// a run-to-completion caller calls it after serving its flows, so that an answer leaves in the
    /// step of the request that caused it, with that request's ACK on it. Returns the data segments
    /// sent; with nothing queued and no ACK held it costs a few loads.
    @discardableResult @inline(__always)
    package func transmit(now: UInt64) -> Int { fastPath.transmit(now: now) }

    /// The earliest time `poll` has timer or pacing work to do (`.max`: none until a frame arrives
    /// or the application acts).
    package var nextDeadline: UInt64 { min(slowPath.nextDeadline, fastPath.nextTransmitTime ?? .max) }

    /// Hands every connection event since the last call to `body`, oldest first, and forgets them.
    package func drainEvents(_ body: (ConnectionEvent) -> Void) {
        guard !events.isEmpty else { return }
        let drained = events
        events.removeAll(keepingCapacity: true)
        for event in drained { body(event) }
    }

    private func record(_ event: ConnectionEvent) {
        switch event {
        case .established(let flow, _, _, _, _): phases[Int(flow)] = .open
        case .peerClosed(let flow, _, _): phases[Int(flow)] = .peerClosed
        case .closed(let flow, _, _): phases[Int(flow)] = .closed
        case .connectFailed(let flow, _, _, let reason), .aborted(let flow, _, _, let reason): phases[Int(flow)] = .failed(reason)
        }
        events.append(event)
    }
}
