import FlexPort
import FlexWire

/// One `ContextFlowControl` call of the slow path, or a frame of its own, as a message to a fast
/// path on another thread (`FastPathLink` sends, `SlowPathLink` applies).
///
/// Contract: a trivial value (no references) carried bitwise in a `ValueRing` between threads of
/// one process — not a cross-process format. Frames travel on frame rings of their own
/// (`ThreadLinkRings`), in the order of the commands that name them.
enum FlowCommand {
    case install(FlowIndex, FlowState, generation: UInt32)
    case remove(FlowIndex)
    case setRate(FlowIndex, bytesPerSecond: UInt64)
    case retransmit(FlowIndex)
    /// SACK recovery's retransmission of one hole (`SelectiveRecoveryControl.retransmit(flow:sequence:length:now:)`).
    case retransmitRange(FlowIndex, sequence: SequenceNumber, length: UInt32)
    case closeTransmission(FlowIndex)
    case setDelivery(FlowIndex, context: UInt16, opaque: UInt64)
    case open(FlowIndex, context: UInt16, opaque: UInt64)
    case endStream(FlowIndex, context: UInt16, opaque: UInt64, reason: CloseReason)
    case release(FlowIndex, context: UInt16, ticket: UInt32)
    case move(FlowIndex, from: UInt16, to: UInt16, opaque: UInt64, ticket: UInt32)
    case fence(ticket: UInt32)
    /// The next `count` frames on `slowPathFrames` are the slow path's own: send them on the port.
    case transmitFrames(count: UInt32)
    /// The next frame on `handedBack` is an exception frame handed back: process it as received.
    case reprocessFrame

    /// Carries a flow or context command out on `control` (the fast path's thread); false when an
    /// install failed. The frame commands are the caller's (`SlowPathLink`).
    func apply(to control: FastPathControl, snapshots: FlowSnapshots, now: UInt64) -> Bool {
        switch self {
        case .install(let flow, let state, let generation):
            snapshots.setGeneration(generation, of: flow)
            do {
                try control.install(flow: flow, state: state, now: now)
            } catch {
                return false
            }
        case .remove(let flow): control.remove(flow: flow)
        case .setRate(let flow, let rate): control.setRate(flow: flow, bytesPerSecond: rate, now: now)
        case .retransmit(let flow): control.retransmit(flow: flow, now: now)
        case .retransmitRange(let flow, let sequence, let length):
            control.retransmit(flow: flow, sequence: sequence, length: length, now: now)
        case .closeTransmission(let flow): control.closeTransmission(flow: flow, now: now)
        case .setDelivery(let flow, let context, let opaque): control.setDelivery(flow: flow, context: context, opaque: opaque)
        case .open(let flow, let context, let opaque): control.open(flow: flow, context: context, opaque: opaque)
        case .endStream(let flow, let context, let opaque, let reason):
            control.endStream(flow: flow, context: context, opaque: opaque, reason: reason)
        case .release(let flow, let context, let ticket): control.release(flow: flow, context: context, ticket: ticket)
        case .move(let flow, let from, let to, let opaque, let ticket):
            control.move(flow: flow, from: from, to: to, opaque: opaque, ticket: ticket)
        case .fence(let ticket): control.fence(ticket: ticket)
        case .transmitFrames, .reprocessFrame: break
        }
        return true
    }
}
