// The application binding of a connection, owned by its record (`Connection`).
extension SlowPath {
    /// The binding of the connection that holds `flow`; nil when none does.
    package func binding(of flow: FlowIndex) -> FlowBinding? {
        guard Int(flow) < connections.count, let connection = connections[Int(flow)] else { return nil }
        return FlowBinding(context: connection.context, opaque: connection.opaque)
    }

    /// True if `flow` holds the active open (`connect`) made under `opaque`: once that connection
    /// ended, its index may hold a passive connection by the time its events are read.
    package func holdsActiveOpen(_ flow: FlowIndex, opaque: UInt64) -> Bool {
        guard Int(flow) < connections.count, let connection = connections[Int(flow)] else { return false }
        return connection.acceptedBy == nil && connection.opaque == opaque
    }

    /// Binds the connection that holds `flow` to `binding` (an accept hands it from its listener to
    /// the accepting context; a move to another context). `deliver`: also set the fast path's
    /// delivery copy (a move changes that copy in the fast path itself, in order with the flow's
    /// receive entries, and is bound here once the fast path confirms it).
    package func bind(_ flow: FlowIndex, to binding: FlowBinding, deliver: Bool) {
        guard Int(flow) < connections.count, connections[Int(flow)] != nil else { return }
        connections[Int(flow)]?.context = binding.context
        connections[Int(flow)]?.opaque = binding.opaque
        if deliver { flows.setDelivery(flow: flow, context: binding.context, opaque: binding.opaque) }
    }
}
