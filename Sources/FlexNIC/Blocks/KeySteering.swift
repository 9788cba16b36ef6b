/// Building block: key-based steering for memcached's binary protocol over UDP (the dissertation's
/// FlexKVS, §5.1), optionally with the custom DMA path for SETs.
///
/// The receive program takes single-datagram binary GETs (no extras) and SETs (8 bytes of extras),
/// hashes the key with CRC32C (the hash FlexKVS partitions by: `KeyHash` widens this value), steers
/// the request to queue `(hash >> queueShift) & (queueCount - 1)` — the queue of the core that owns
/// the key's partition — and relays the hash in the descriptor. Everything else passes to the host.
///
/// With `placesSets`, a plain SET (CAS 0) is also appended by DMA to the log segment of its queue's
/// core: register `log_head[q]` is where the next item goes and `log_end[q]` the end of the segment
/// software registered (both host-memory addresses; 0/0 until registered). The NIC copies the
/// request's 24-byte header, extras, key and value (`body_length + 24` bytes) to `log_head[q]`,
/// advances it by `placedItemSize(bodyLength:)`, writes the item's address into the request's CAS
/// field (so the queue entry says where its item is) and delivers the request to queue q. A SET that
/// does not fit (or carries a CAS, or arrives before a segment is registered) goes to the exception
/// queue with reason `logFullReason`: software stores it itself and registers a fresh segment. So
/// does a truncated SET (the frame ends before `body_length + 24` bytes of request): nothing is
/// placed and `log_head` stays.
public enum KeySteering {
    /// The key hash's bits below this one are not used to pick the queue (FlexKVS: partition = bits 8... of the CRC).
    public static let queueShift: UInt64 = 8
    /// Register arrays of the DMA path, one register per queue.
    public static let logHead = "log_head"
    public static let logEnd = "log_end"
    /// Exception reason of a SET the NIC did not place.
    public static let logFullReason: UInt8 = 1
    /// The classifying table's name (keys: UDP frame header valid, magic, opcode, extras length).
    public static let table = "classify"

    /// Bytes the NIC advances `log_head` by for a SET of `bodyLength` body bytes: the 24-byte header
    /// and the body (extras, key, value), rounded up to a multiple of 8. (FlexKVS rewrites header and
    /// extras, 32 bytes, into its item header in place: its items take exactly this much.)
    public static func placedItemSize(bodyLength: Int) -> Int { (bodyLength + 24 + 7) & ~7 }

    /// The program for `queueCount` queues (a power of two, 1...4096).
    public static func program(queueCount: Int, placesSets: Bool) -> Program {
        precondition(queueCount > 0 && queueCount <= 4096 && queueCount & (queueCount - 1) == 0, "queueCount must be a power of two")
        let steer: [Primitive] = [
            .binary(.shiftRight, "meta.queue_index", "meta.key_hash", .constant(queueShift)),
            .binary(.and, "meta.queue_index", "meta.queue_index", .constant(UInt64(queueCount - 1))),
            .setQueue("meta.queue_index"),
            .set(Metadata.descriptor, "meta.key_hash"),
        ]
        let hashGetKey = Primitive.hashPayloadRange(.crc32c, "meta.key_hash", after: "memcached", offset: 0, length: "memcached.key_length",
                                                    maximum: HashRelay.maximumKeyLength)
        let hashSetKey = Primitive.hashPayloadRange(.crc32c, "meta.key_hash", after: "memcached", offset: 8, length: "memcached.key_length",
                                                    maximum: HashRelay.maximumKeyLength)
        let reserve: [Primitive] = placesSets ? [
            .binary(.add, "meta.item_size", "memcached.body_length", .constant(24 + 7)),
            .binary(.and, "meta.item_size", "meta.item_size", .constant(~UInt64(7))),
            .registerRead("meta.head", array: logHead, index: "meta.queue_index"),
            .registerRead("meta.end", array: logEnd, index: "meta.queue_index"),
            .binary(.add, "meta.item_end", "meta.head", "meta.item_size"),
            .compare(.lessOrEqual, "meta.fits", "meta.item_end", "meta.end"),
            .compare(.equal, "meta.plain", "memcached.cas", 0),
            .binary(.and, "meta.fits", "meta.fits", "meta.plain"),
            .binary(.add, "meta.dma_length", "memcached.body_length", .constant(24)),
            .binary(.add, "meta.dma_end", "memcached.offset", "meta.dma_length"),
            .compare(.lessOrEqual, "meta.whole", "meta.dma_end", "packet.length"),
        ] : []
        var stages = [
            StageDeclaration(table, .table(TableDeclaration(
                table, kind: .exact, keys: ["memcached_udp.valid", "memcached.magic", "memcached.opcode", "memcached.extras_length"], size: 4,
                actions: [
                    ActionDeclaration("get", [hashGetKey] + steer),
                    ActionDeclaration("set", [hashSetKey] + steer + reserve),
                    ActionDeclaration("pass", []),
                ],
                defaultAction: "pass",
                entries: [
                    TableEntry(key: [1, 0x80, 0x00, 0], action: "get"),
                    TableEntry(key: [1, 0x80, 0x01, 8], action: "set"),
                ]))),
        ]
        if placesSets {
            // Only SETs have a DMA length; the set action has no room left for these two primitives.
            stages.append(StageDeclaration("admit", when: StageCondition("meta.dma_length", .notEqual, 0), .action(ActionDeclaration("whole_set", [
                .binary(.and, "meta.fits", "meta.fits", "meta.whole"),
                .binary(.xor, "meta.spill", "meta.fits", 1),
            ]))))
            stages.append(StageDeclaration("place", when: StageCondition("meta.fits", .equal, 1), .action(ActionDeclaration("append", [
                .registerWrite(array: logHead, index: "meta.queue_index", value: "meta.item_end"),
                .set("memcached.cas", "meta.head"),
                .dma(DMARequest(packetOffset: "memcached.offset", length: "meta.dma_length", direction: .toHost, hostAddress: "meta.head")),
            ]))))
            stages.append(StageDeclaration("spill", when: StageCondition("meta.spill", .equal, 1),
                                           .action(ActionDeclaration("to_software", [.exception(reason: logFullReason)]))))
        }
        return Program(placesSets ? "key-steering-dma" : "key-steering",
                       metadata: ["key_hash", "queue_index", "item_size", "head", "end", "item_end", "fits", "plain", "spill", "dma_length", "dma_end", "whole"],
                       registers: placesSets ? [RegisterArrayDeclaration(logHead, size: queueCount), RegisterArrayDeclaration(logEnd, size: queueCount)] : [],
                       stages: stages)
    }
}
