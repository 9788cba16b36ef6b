/// What the fast path offers the transmit-queue drain of a context endpoint: enough to validate an
/// application's entry and to apply it. `FastPath` conforms; tests may supply stand-ins.
///
/// Contract: `delivery(ofInstalledFlow:)` is nil when no flow is installed at the index;
/// `applicationFreed` and `applicationQueued` return false, changing nothing, when the bytes do not
/// fit (more than the receive ring holds for the application, more than the transmit ring has free).
package protocol TransmitQueueTarget {
    var flowCapacity: Int { get }
    func delivery(ofInstalledFlow flow: FlowIndex) -> FlowDelivery?
    func applicationFreed(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool
    func applicationQueued(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool
}

extension FastPath: TransmitQueueTarget {
    package var flowCapacity: Int { configuration.flowCapacity }

    package func delivery(ofInstalledFlow flow: FlowIndex) -> FlowDelivery? {
        let index = Int(flow)
        guard index < configuration.flowCapacity, installed[index] else { return nil }
        return FlowDelivery(context: flows[index].context, opaque: flows[index].opaque)
    }
}

/// Where an installed flow's events go: the fast path's delivery copy of its application binding
/// (`FlowState.context` and `opaque`).
package struct FlowDelivery: Equatable {
    package var context: UInt16
    package var opaque: UInt64

    @inlinable
    package init(context: UInt16, opaque: UInt64) {
        self.context = context
        self.opaque = opaque
    }
}
