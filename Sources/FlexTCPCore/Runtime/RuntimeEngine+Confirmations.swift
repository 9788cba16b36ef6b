// Completions that wait for the fast path's thread when it runs apart (`StackRuntime.Threading`).
extension RuntimeEngine {
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
        case nil: break
        }
    }

    private func moved(_ move: PendingMove, succeeded: Bool) {
        let flow = Int(move.flow)
        let moved = succeeded && flows[flow].isKnownToApplication && flows[flow].context == move.context && flows[flow].opaque == move.opaque
        if moved {
            flows[flow].context = move.newContext
            link?.noteDelivery(flow: move.flow, context: move.newContext, opaque: move.opaque)
        }
        complete(.moved(opaque: move.opaque, flow: move.flow, context: move.newContext, status: moved ? .success : .noSuchFlow), to: move.context)
    }
}

/// A completion that waits until the fast path's thread confirms a command: a flow's `closed`
/// (after its receive entries are published) or a move's `moved`.
enum PendingConfirmation {
    case completion(SlowPathEvent, to: UInt16)
    case move(PendingMove)
}
