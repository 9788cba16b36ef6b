/// What the fast path offers the transmit-queue drain of a context endpoint: enough to validate an
/// application's entry and to apply it. `FastPath` conforms; tests may supply stand-ins.
///
/// Contract: `delivery(ofInstalledFlow:)` is nil when no flow is installed at the index;
/// `applicationFreed` and `applicationQueued` return false, changing nothing, when the bytes do not
/// fit (more than the receive ring holds for the application, more than the transmit ring has free).
package protocol TransmitQueueTarget {
    var flowCapacity: Int { get }
    /// The fast path's delivery copy of the flow's binding (`FlowState.context` and `opaque`).
    func delivery(ofInstalledFlow flow: FlowIndex) -> FlowBinding?
    func applicationFreed(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool
    func applicationQueued(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool
}

extension FastPath: TransmitQueueTarget {
    package var flowCapacity: Int { configuration.flowCapacity }

    package func delivery(ofInstalledFlow flow: FlowIndex) -> FlowBinding? {
        let index = Int(flow)
        guard index < configuration.flowCapacity, installed[index] else { return nil }
        return FlowBinding(context: flows[index].context, opaque: flows[index].opaque)
    }
}
