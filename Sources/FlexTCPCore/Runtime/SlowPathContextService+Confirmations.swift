// Completions that wait for the fast path's confirmation (`ContextFlowControl`).
extension SlowPathContextService {
    /// Remembers what to complete when the fast path confirms; returns the ticket to send along.
    func awaitConfirmation(_ pending: PendingConfirmation) -> UInt32 {
        nextTicket &+= 1
        confirmations[nextTicket] = pending
        return nextTicket
    }

    /// The fast path carried out the command with `ticket` (`succeeded`: a move found the flow
    /// still delivered to the old context, and moved it): post the completion that waited for it.
    func fastPathConfirmed(ticket: UInt32, succeeded: Bool) {
        switch confirmations.removeValue(forKey: ticket) {
        case .completion(let event, let context): complete(event, to: context)
        case .move(let move): moved(move, succeeded: succeeded)
        case .announcement(let event, let context, let announced): complete(event, to: context, announcing: announced)
        case nil: break
        }
    }

    private func moved(_ move: PendingMove, succeeded: Bool) {
        let flow = Int(move.flow)
        let moved = succeeded && flows[flow].isKnownToApplication
            && slowPath.binding(of: move.flow) == FlowBinding(context: move.context, opaque: move.opaque)
        if moved { slowPath.bind(move.flow, to: FlowBinding(context: move.newContext, opaque: move.opaque), deliver: false) }
        complete(.moved(opaque: move.opaque, flow: move.flow, context: move.newContext, status: moved ? .success : .noSuchFlow), to: move.context)
    }
}

/// A completion that waits until the fast path confirms a command: a flow's `closed`
/// (after its receive entries are published), a move's `moved`, or the completion that opens a
/// flow (after the fast path has carried out the commands that install it and set its context).
enum PendingConfirmation {
    case completion(SlowPathEvent, to: UInt16)
    case move(PendingMove)
    /// The `accepted`/`connected` completion that opens the flow, once the fast path knows the flow.
    case announcement(SlowPathEvent, to: UInt16, flow: AnnouncedFlow)
}
