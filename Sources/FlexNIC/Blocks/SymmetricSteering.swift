/// Building block: symmetric flow-group steering for an analysis application (the dissertation's
/// Snort experiment). Both directions of a TCP flow hash alike (symmetric Toeplitz), the hash picks
/// one of `groups` flow groups, a partition table maps groups to queues, and a register array counts
/// packets per queue. Four stages.
public enum SymmetricSteering {
    /// `groups` must be a power of two; the partition table starts with group g → queue g % queues.
    public static func program(groups: Int = 64, queues: Int = 4) -> Program {
        precondition(groups > 0 && groups & (groups - 1) == 0, "flow groups must be a power of two")
        let entries = (0..<groups).map { TableEntry(key: [UInt64($0)], action: "to_queue", parameters: [UInt64($0 % max(queues, 1))]) }
        return Program("steering", metadata: ["hash", "group"], registers: [RegisterArrayDeclaration("queue_packets", size: 64)], stages: [
            StageDeclaration("flow_hash", when: StageCondition("tcp.valid", .equal, 1), .action(ActionDeclaration("hash", [
                .hashFields(.symmetricToeplitz, "meta.hash", fields: HashRelay.tcpFourTuple),
                .set(Metadata.descriptor, "meta.hash"),
            ]))),
            StageDeclaration("flow_group", when: StageCondition("tcp.valid", .equal, 1), .action(ActionDeclaration("group", [
                .binary(.and, "meta.group", "meta.hash", .constant(UInt64(groups - 1))),
            ]))),
            StageDeclaration("partition", when: StageCondition("tcp.valid", .equal, 1), .table(TableDeclaration(
                "partition", kind: .exact, keys: ["meta.group"], size: groups,
                actions: [ActionDeclaration("to_queue", parameters: 1, [.setQueue(.parameter(0))]), ActionDeclaration("pass", [])],
                defaultAction: "pass", entries: entries))),
            StageDeclaration("count", when: StageCondition(.field(Metadata.queue), .notEqual, .constant(Metadata.noQueue)),
                             .action(ActionDeclaration("count", [
                                 .registerAdd(array: "queue_packets", index: .field(Metadata.queue), value: 1, result: nil),
                             ]))),
        ])
    }
}
