/// Building block: NIC-generated flow-control acknowledgements (the dissertation's Figure 5.4).
/// A DCCP-like data packet for a known port is delivered to its software queue and, only while that
/// queue has room, answered with an ACK crafted from it: ports swapped, type ACK, acknowledgement =
/// the packet's sequence number, checksums recomputed, addresses swapped (IP reply).
public enum FlowControlACK {
    /// Table `ports`: `dccp.destination_port` → `deliver(queue)`; starts with `port` → `queue`.
    public static func program(port: UInt64, queue: UInt64) -> Program {
        let deliver = ActionDeclaration("deliver", parameters: 1) {
            Primitive.setQueue(.parameter(0))
            Primitive.queueRoom("meta.room", queue: .parameter(0))
        }
        let acknowledge = ActionDeclaration("ack") {
            Primitive.swap("dccp.source_port", "dccp.destination_port")
            Primitive.set("dccp.type", .constant(StandardParseGraph.dccpAck))
            Primitive.set("dccp.acknowledgment", "dccp.sequence")
            Primitive.reply(truncatingAfter: "dccp")
        }
        return Program("ack", metadata: ["room"]) {
            StageDeclaration("ports", when: StageCondition("dccp.type", .equal, .constant(StandardParseGraph.dccpData)), .table(
                TableDeclaration("ports", kind: .exact, keys: ["dccp.destination_port"], size: 64,
                                 actions: [deliver, ActionDeclaration("pass", [])], defaultAction: "pass",
                                 entries: [TableEntry(key: [port], action: "deliver", parameters: [queue])])))
            StageDeclaration("acknowledge", when: StageCondition("meta.room", .greater, 0), .action(acknowledge))
        }
    }
}
