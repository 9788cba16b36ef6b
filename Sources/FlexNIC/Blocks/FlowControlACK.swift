/// Building block: NIC-generated flow-control acknowledgements (the dissertation's Figure 5.4).
/// A DCCP-like data packet for a known port is delivered to its software queue and, only while that
/// queue has room, answered with an ACK crafted from it: ports swapped, type ACK, acknowledgement =
/// the packet's sequence number, checksums recomputed, addresses swapped (IP reply).
public enum FlowControlACK {
    /// Table `ports`: `dccp.destination_port` → `deliver(queue)`.
    public static func program(port: UInt64, queue: UInt64) -> Program {
        Program("ack", metadata: ["room"], stages: [
            StageDeclaration("ports", when: StageCondition("dccp.type", .equal, .constant(StandardParseGraph.dccpData)), .table(TableDeclaration(
                "ports", kind: .exact, keys: ["dccp.destination_port"], size: 64,
                actions: [
                    ActionDeclaration("deliver", parameters: 1, [.setQueue(.parameter(0)), .queueRoom("meta.room", queue: .parameter(0))]),
                    ActionDeclaration("pass", []),
                ],
                defaultAction: "pass", entries: [TableEntry(key: [port], action: "deliver", parameters: [queue])]))),
            StageDeclaration("acknowledge", when: StageCondition("meta.room", .greater, 0), .action(ActionDeclaration("ack", [
                .swap("dccp.source_port", "dccp.destination_port"),
                .set("dccp.type", .constant(StandardParseGraph.dccpAck)),
                .set("dccp.acknowledgment", "dccp.sequence"),
                .reply(truncatingAfter: "dccp"),
            ]))),
        ])
    }
}
