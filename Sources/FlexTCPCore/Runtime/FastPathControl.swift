import FlexPort
import FlexWire

/// The slow path's `ContextFlowControl` when it reaches the fast path by direct calls: the flow
/// calls go to `fastPath`, the context commands to its `contexts` service. The runtime's
/// one-thread schedules give it to the slow path; with the slow path on a thread of its own, the
/// fast-path thread applies the slow path's `FlowCommand`s to it, so both schedules carry a
/// command out the same way.
///
/// Contract: used on the fast path's thread only (which is the slow path's in a one-thread schedule).
final class FastPathControl: ContextFlowControl, SelectiveRecoveryControl {
    let fastPath: FastPath
    let contexts: FastPathContextService

    init(fastPath: FastPath, contexts: FastPathContextService) {
        self.fastPath = fastPath
        self.contexts = contexts
    }

    var localAddress: IPv4Address { fastPath.localAddress }
    var flowCapacity: Int { fastPath.configuration.flowCapacity }
    var payloadRegionSize: Int { fastPath.payloadRegionSize }
    var receiveWindowLimit: UInt32 { fastPath.receiveWindowLimit }

    func state(of flow: FlowIndex) -> FlowState? { fastPath.state(of: flow) }

    func takeChangedFlows(_ body: (FlowIndex) -> Void) { fastPath.takeChangedFlows(body) }

    func install(flow: FlowIndex, state: FlowState, now: UInt64) throws(FlowInstallError) {
        try fastPath.install(flow: flow, state: state, now: now)
    }

    @discardableResult
    func remove(flow: FlowIndex) -> FlowState? { fastPath.remove(flow: flow) }

    func setRate(flow: FlowIndex, bytesPerSecond: UInt64, now: UInt64) { fastPath.setRate(flow: flow, bytesPerSecond: bytesPerSecond, now: now) }

    func retransmit(flow: FlowIndex, now: UInt64) { fastPath.retransmit(flow: flow, now: now) }

    func selectiveAcknowledgments(of flow: FlowIndex) -> TCPSACKBlocks { fastPath.selectiveAcknowledgments(of: flow) }

    func retransmit(flow: FlowIndex, sequence: SequenceNumber, length: UInt32, now: UInt64) {
        fastPath.retransmit(flow: flow, sequence: sequence, length: length, now: now)
    }

    @discardableResult
    func closeTransmission(flow: FlowIndex, now: UInt64) -> Bool { fastPath.closeTransmission(flow: flow, now: now) }

    func setDelivery(flow: FlowIndex, context: UInt16, opaque: UInt64) { fastPath.setDelivery(flow: flow, context: context, opaque: opaque) }

    func reprocess(_ frame: Frame, now: UInt64) -> Bool { fastPath.reprocess(frame, now: now) }

    func open(flow: FlowIndex, context: UInt16, opaque: UInt64) {
        contexts.open(flow: flow, context: context, opaque: opaque, fastPath: fastPath)
    }

    func endStream(flow: FlowIndex, context: UInt16, opaque: UInt64, reason: CloseReason) {
        contexts.endStream(StreamEnd(context: context, opaque: opaque, flow: flow, reason: reason))
    }

    func release(flow: FlowIndex, context: UInt16, ticket: UInt32) { contexts.release(flow: flow, context: context, ticket: ticket) }

    func move(flow: FlowIndex, from: UInt16, to: UInt16, opaque: UInt64, ticket: UInt32) {
        contexts.move(PendingMove(context: from, flow: flow, opaque: opaque, newContext: to), ticket: ticket)
    }

    func fence(ticket: UInt32) { contexts.fence(ticket: ticket) }
}
