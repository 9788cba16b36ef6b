extension FlowEvent {
    /// The one `received` event that announces the bytes a flow's receive ring holds when the flow
    /// opens to an application (they arrived before its open completion); nil when it holds none.
    static func announcingHeldBytes(of state: FlowState, flow: FlowIndex, context: UInt16, opaque: UInt64) -> FlowEvent? {
        let held = state.unreadByteCount
        guard held > 0 else { return nil }
        return FlowEvent(opaque: opaque, flow: flow, context: context, receivedPosition: state.unreadStart, receivedBytes: held,
                         acknowledgedBytes: 0)
    }
}
