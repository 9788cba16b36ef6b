import FlexPort
import FlexWire

/// What the slow path asks of the fast path (dissertation §4.3.2: the kernel installs and removes
/// flow state in the NIC, reads its counters, and never blocks it): the narrow interface between
/// the two. `FastPath` implements it directly when both share a thread; `FastPathLink` turns each
/// call into a message for a fast path on another thread. A runtime serving application contexts
/// reaches the fast path's context service through the same seam (`ContextFlowControl`).
///
/// Contract: `state(of:)` is the flow's fast-path state as last known to the caller — exact when
/// the fast path runs on the caller's thread, a snapshot at most one fast-path step old otherwise,
/// and right after `install` the installed state. Changes take effect in call order.
package protocol FlowControl: AnyObject {
    var localAddress: IPv4Address { get }
    var flowCapacity: Int { get }
    var payloadRegionSize: Int { get }
    /// The most window any flow may advertise now (the fast path's share of its receive budget).
    var receiveWindowLimit: UInt32 { get }
    func state(of flow: FlowIndex) -> FlowState?
    /// Hands `body` every flow whose state changed since the last call (each once, in no set order;
    /// `body` must not call back into the fast path) and forgets them: sends, acknowledgments, window
    /// changes and FINs of the fast path, and the slow path's own changes. With this the slow path's
    /// cost per `advance` follows the flows that changed, never the number of idle ones.
    func takeChangedFlows(_ body: (FlowIndex) -> Void)
    func install(flow: FlowIndex, state: FlowState, now: UInt64) throws(FlowInstallError)
    @discardableResult
    func remove(flow: FlowIndex) -> FlowState?
    func setRate(flow: FlowIndex, bytesPerSecond: UInt64, now: UInt64)
    func retransmit(flow: FlowIndex, now: UInt64)
    /// Queues our FIN after the flow's queued bytes; false for an unknown flow or a second call.
    @discardableResult
    func closeTransmission(flow: FlowIndex, now: UInt64) -> Bool
    /// Who hears of the flow from now on: its context and opaque (accept, move).
    func setDelivery(flow: FlowIndex, context: UInt16, opaque: UInt64)
    /// Hands the fast path a frame the slow path held (data on a handshake's last ACK) to process
    /// as received, now that its flow is installed. False when the fast path refused it (known
    /// only when it runs on the caller's thread).
    func reprocess(_ frame: Frame, now: UInt64) -> Bool
}

/// The seam between the slow path's and the fast path's share of serving application contexts
/// (a `StackRuntime`): besides the flows, the slow path tells the fast path which context hears of
/// a flow, when a stream ends, and when a flow leaves or moves. `FastPathControl` carries the
/// calls out directly (one thread), `FastPathLink` sends them as `FlowCommand`s in order with the
/// flow commands (two threads).
///
/// Contract: calls take effect in order with the `FlowControl` calls. A release or a move is
/// confirmed with its `ticket` (`FastPathNotice.confirmed`) once the old context's receive entries
/// (and the flow's stream end) are published — on the same thread at the end of the round, across
/// threads through the notice ring.
protocol ContextFlowControl: FlowControl {
    /// The flow's open completion is published: deliver its events to `context` from now on,
    /// announcing first the bytes its receive ring already holds.
    func open(flow: FlowIndex, context: UInt16, opaque: UInt64)
    /// Post the end of the flow's byte stream once no notification of the flow is pending.
    func endStream(flow: FlowIndex, context: UInt16, opaque: UInt64, reason: CloseReason)
    /// Stop delivering the flow; confirm `ticket` once `context`'s receive entries are published.
    func release(flow: FlowIndex, context: UInt16, ticket: UInt32)
    /// Deliver the flow to `to` once `from` has its receive entries published; confirm `ticket`
    /// (succeeded: the flow was still delivered to `from` with `opaque`, and moved).
    func move(flow: FlowIndex, from: UInt16, to: UInt16, opaque: UInt64, ticket: UInt32)
    /// Confirm `ticket` once every call before this one is carried out.
    func fence(ticket: UInt32)
}

extension FastPath: FlowControl {
    package var localAddress: IPv4Address { configuration.localAddress }

    package func takeChangedFlows(_ body: (FlowIndex) -> Void) { changes.take(body) }

    package func setDelivery(flow: FlowIndex, context: UInt16, opaque: UInt64) {
        update(flow: flow) {
            $0.context = context
            $0.opaque = opaque
        }
    }

    package func reprocess(_ frame: Frame, now: UInt64) -> Bool { processFrame(frame, now: now) != .exception }
}
