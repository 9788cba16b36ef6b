import FlexPort

/// One `FlowControl` call of the slow path, as a message to a fast path on another thread.
///
/// Contract: a trivial value (no references), carried bitwise in a frame ring slot of
/// `FlowCommand.size` bytes between threads of one process — not a cross-process format.
enum FlowCommand {
    case install(FlowIndex, FlowState, generation: UInt32)
    case remove(FlowIndex)
    case setRate(FlowIndex, bytesPerSecond: UInt64)
    case retransmit(FlowIndex)
    case closeTransmission(FlowIndex)
    case setDelivery(FlowIndex, context: UInt16, opaque: UInt64)
    /// The flow's open completion is published: deliver its events to `context` from now on,
    /// starting with the bytes its receive ring holds.
    case open(FlowIndex, context: UInt16, opaque: UInt64)
    /// Post the end of the flow's byte stream once no notification of the flow is pending.
    case endStream(FlowIndex, context: UInt16, opaque: UInt64, reason: CloseReason)
    /// Stop delivering the flow; confirm `ticket` once `context`'s receive entries are published.
    case release(FlowIndex, context: UInt16, ticket: UInt32)
    /// Deliver the flow to `to` once `from` has its receive entries published; confirm `ticket`.
    case move(FlowIndex, from: UInt16, to: UInt16, opaque: UInt64, ticket: UInt32)

    static var size: Int { MemoryLayout<FlowCommand>.size }

    func store(to frame: inout Frame) {
        frame.bytes.storeBytes(of: self, as: FlowCommand.self)
        frame.length = FlowCommand.size
    }

    /// The command in a received slot; nil for a slot of another length.
    init?(loading frame: Frame) {
        guard frame.length == FlowCommand.size else { return nil }
        self = frame.bytes.loadUnaligned(as: FlowCommand.self)
    }

    /// Carries the command out on the fast path's thread; the contexts' commands go to `contexts`
    /// (ignored without one).
    func apply(to fastPath: FastPath, snapshots: FlowSnapshots, contexts: ThreadedContextService?, now: UInt64) -> Bool {
        switch self {
        case .install(let flow, let state, let generation):
            snapshots.setGeneration(generation, of: flow)
            do {
                try fastPath.install(flow: flow, state: state, now: now)
            } catch {
                return false
            }
        case .remove(let flow): fastPath.remove(flow: flow)
        case .setRate(let flow, let rate): fastPath.setRate(flow: flow, bytesPerSecond: rate, now: now)
        case .retransmit(let flow): fastPath.retransmit(flow: flow, now: now)
        case .closeTransmission(let flow): fastPath.closeTransmission(flow: flow, now: now)
        case .setDelivery(let flow, let context, let opaque): fastPath.setDelivery(flow: flow, context: context, opaque: opaque)
        case .open, .endStream, .release, .move: contexts?.apply(self, fastPath: fastPath)
        }
        return true
    }
}
