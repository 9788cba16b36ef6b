/// Building block: multiplexing received packets to software queues by arbitrary header fields
/// (an exact table over the fields; its entries name the queue), and demultiplexing on transmit.
public enum Multiplexing {
    /// A stage steering packets whose `keys` match an entry of table `table` to the entry's queue;
    /// others pass to the host stack. Entries: `insertEntry(table:key:action: "to_queue", parameters: [queue])`.
    public static func stage(table: String = "mux", keys: [String], size: Int = 1_024, when condition: StageCondition? = nil) -> StageDeclaration {
        StageDeclaration(table, when: condition, .table(TableDeclaration(
            table, kind: .exact, keys: keys, size: size,
            actions: [ActionDeclaration("to_queue", parameters: 1, [.setQueue(.parameter(0))]), ActionDeclaration("pass", [])],
            defaultAction: "pass")))
    }

    /// Memcached requests steered by opcode: `queues[opcode]` (e.g. GET 0x00 → 0, SET 0x01 → 1).
    public static func memcachedByOpcode(queues: [UInt64: UInt64]) -> Program {
        var mux = stage(keys: ["memcached.opcode"], size: 256, when: StageCondition("memcached.valid", .equal, 1))
        if case .table(var table) = mux.body {
            table.entries = queues.sorted { $0.key < $1.key }.map { TableEntry(key: [$0.key], action: "to_queue", parameters: [$0.value]) }
            mux.body = .table(table)
        }
        return Program("memcached-mux", stages: [mux])
    }

    /// Transmit-side demultiplexing: UDP frames whose source port has an entry in table `senders`
    /// are sent; other UDP frames are withheld (dropped with `reason`).
    public static func transmitBySourcePort(reason: UInt8 = 2) -> Program {
        Program("tx-demux", stages: [
            StageDeclaration("senders", when: StageCondition("udp.valid", .equal, 1), .table(TableDeclaration(
                "senders", kind: .exact, keys: ["udp.source_port"], size: 256,
                actions: [ActionDeclaration("send", []), ActionDeclaration("withhold", [.drop(reason: reason)])],
                defaultAction: "withhold"))),
        ])
    }
}
