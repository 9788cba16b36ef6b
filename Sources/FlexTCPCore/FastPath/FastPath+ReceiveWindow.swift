// Sharing a receive-window budget among the flows that can still receive.
//
// Why: a port such as AF_PACKET gives the peer no back-pressure. Whatever our windows let the peers
// send and the stack has not yet taken waits in the port's receive ring; when the windows of all
// flows together exceed what the ring holds, one burst overflows it (100 Linux senders × 256 KiB
// windows against 256 slots dropped ~20,000 frames, and loss recovery then starved some flows).
// So the windows we advertise share a budget — what the ring holds — evenly among the flows that
// can still receive (installed, peer FIN not taken): each advertises at most
// max(budget / receivingFlows, minimumReceiveWindow). One flow alone keeps its whole ring.
//
// Only the advertisement shrinks: a segment is still accepted whenever it fits the flow's ring, so
// data a peer sent under a larger, older window is never dropped when another flow opens (RFC 9293
// §3.8.6.2.2: the window should not shrink, but a receiver that shrinks it must accept what was
// sent within it). Constant time: the limit changes only when a flow starts or stops receiving.
extension FastPath {
    /// The smallest window a flow is offered whatever the budget: a few segments, so that every flow
    /// keeps moving (with more flows than the budget covers, the sum may then exceed it).
    package static let minimumReceiveWindow: UInt32 = 8 * 1024

    /// Counts a flow starting (+1) or stopping (-1) to receive, and derives the new window limit.
    func receivingFlowsChanged(by change: Int) {
        receivingFlows &+= change
        guard let budget = configuration.receiveWindowBudget else { return }
        let share = budget / UInt64(max(receivingFlows, 1))
        receiveWindowLimit = UInt32(clamping: max(share, UInt64(Self.minimumReceiveWindow)))
        publishedReceiveWindowLimit.store(receiveWindowLimit, ordering: .relaxed)
    }
}
