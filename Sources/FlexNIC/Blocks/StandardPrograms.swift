/// The standard building blocks by name, as the `flexnic` tool and the benchmark select them.
public enum StandardPrograms {
    /// Names and one-line descriptions, in listing order.
    public static let descriptions: [(name: String, summary: String)] = [
        ("steering", "symmetric flow-group steering of TCP flows to 4 queues (4 stages)"),
        ("ack", "DCCP-like data on port 5000 to queue 0, ACKed by the NIC while the queue has room"),
        ("filter", "ternary ACL: drop UDP to port 9, divert 198.18.0.0/16 sources to the exception queue"),
        ("hash-relay", "Toeplitz hash of the TCP 4-tuple into each packet's descriptor"),
        ("key-hash", "CRC32C of memcached keys into the opaque field and descriptor"),
        ("memcached-mux", "memcached requests to queues by opcode (GET → 0, SET → 1)"),
        ("key-steering", "memcached binary GET/SET over UDP to 4 queues by CRC32C of the key, hash relayed in the descriptor"),
        ("key-steering-dma", "key-steering, and SETs appended by DMA into per-queue log segments (registers log_head/log_end)"),
        ("doorbell", "host interface: one QM token per new transmit descriptor, in its ring's bucket"),
        ("dma", "host interface: a transmit descriptor's whole buffer, read from the host, is the frame"),
    ]

    /// The `flexnic list` text: one line per program, name, pipeline and description in columns.
    public static func listing() -> String {
        let width = descriptions.map(\.name.count).max() ?? 0
        return descriptions.map { entry in
            let pipeline = program(named: entry.name).map { "\($0.pipeline)" } ?? "?"
            return entry.name.padding(width + 2) + pipeline.padding(10) + entry.summary
        }.joined(separator: "\n") + "\n"
    }

    /// Port of the ACK program's flows.
    public static let ackPort: UInt64 = 5000

    /// The named program, nil for an unknown name.
    public static func program(named name: String) -> Program? {
        switch name {
        case "steering": return SymmetricSteering.program()
        case "ack": return FlowControlACK.program(port: ackPort, queue: 0)
        case "filter":
            return Filtering.program(entries: [
                TableEntry(key: [0, 17, 9], qualifier: [0, 0xff, 0xffff], priority: 2, action: "deny"),
                TableEntry(key: [0xC612_0000, 0, 0], qualifier: [0xFFFF_0000, 0, 0], priority: 1, action: "divert"),
            ])
        case "hash-relay": return HashRelay.flowHash()
        case "key-hash": return HashRelay.memcachedKeyHash()
        case "memcached-mux": return Multiplexing.memcachedByOpcode(queues: [0x00: 0, 0x01: 1])
        case "key-steering": return KeySteering.program(queueCount: 4, placesSets: false)
        case "key-steering-dma": return KeySteering.program(queueCount: 4, placesSets: true)
        case "doorbell": return HostInterfacePrograms.doorbell()
        case "dma": return HostInterfacePrograms.dma()
        default: return nil
        }
    }

    /// How many software queues the named program uses.
    public static func queueCount(named name: String) -> Int {
        switch name {
        case "steering": 4
        case "ack": 1
        case "memcached-mux": 2
        case "key-steering", "key-steering-dma": 4
        default: 0
        }
    }
}
