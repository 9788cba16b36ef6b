import FlexTCPCore
import Synchronization

/// Connections moving into one context from other contexts of the same runtime (A.4 move), handed
/// over as the same `Connection` objects, so the library state that travels with a connection (its
/// transmit tail, unacknowledged and unfreed bytes, counts not yet handed to the fast path) stays
/// exact.
///
/// Contract: the old context `expect`s a flow before it asks the runtime to move it, then either
/// `deliver`s the connection (after the runtime's `moved` success and after every receive entry of
/// the flow that the old context was sent) or `withdraw`s it. The new context asks `isExpected`
/// for receive entries of flows it does not hold (and keeps them until the connection arrives), and
/// takes delivered connections with `takeDelivered`. Any thread may call any method.
final class ConnectionInbox: Sendable {
    private struct Arrivals {
        /// Announced moves: flow index → the connection's opaque.
        var expected: [FlowIndex: UInt64] = [:]
        var delivered: [Connection] = []
    }

    // A connection in here belongs to no context: the old one let go of it, the new one has not taken it.
    nonisolated(unsafe) private var arrivals = Arrivals()
    private let lock = Mutex(())
    /// Raised after a delivery, lowered when they are taken: `takeDelivered` (every poll) takes the
    /// lock only when something was delivered.
    private let hasDeliveries = Atomic(false)

    func expect(flow: FlowIndex, opaque: UInt64) {
        lock.withLock { _ in arrivals.expected[flow] = opaque }
    }

    func isExpected(flow: FlowIndex, opaque: UInt64) -> Bool {
        lock.withLock { _ in arrivals.expected[flow] == opaque }
    }

    func withdraw(flow: FlowIndex) {
        lock.withLock { _ in arrivals.expected[flow] = nil }
    }

    func deliver(_ connection: Connection) {
        lock.withLock { _ in arrivals.delivered.append(connection) }
        hasDeliveries.store(true, ordering: .releasing)
    }

    /// True when `takeDelivered` may return connections (one atomic load).
    var mayHaveDeliveries: Bool { hasDeliveries.load(ordering: .acquiring) }

    /// The connections delivered since the last call, oldest first; they are no longer expected.
    func takeDelivered() -> [Connection] {
        guard mayHaveDeliveries else { return [] }
        return lock.withLock { _ in
            hasDeliveries.store(false, ordering: .relaxed)
            let delivered = arrivals.delivered
            guard !delivered.isEmpty else { return [] }
            arrivals.delivered.removeAll()
            for connection in delivered { arrivals.expected[connection.flow] = nil }
            return delivered
        }
    }
}
