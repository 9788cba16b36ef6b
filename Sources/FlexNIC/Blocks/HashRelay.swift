/// Building block: hash relay. The NIC computes a hash and writes it where software reads it: into
/// the packet's descriptor (`meta.descriptor`) and, for memcached, into the request's `opaque` field
/// (a hash of the key, so the server skips hashing it).
public enum HashRelay {
    /// The TCP 4-tuple (source and destination address, then ports), in RSS input order.
    public static let tcpFourTuple = ["ipv4.source", "ipv4.destination", "tcp.source_port", "tcp.destination_port"]
    /// The longest memcached key (bytes).
    public static let maximumKeyLength = 250

    /// Hashes the TCP 4-tuple with `function` into the descriptor of every TCP packet.
    public static func flowHash(_ function: HashFunction = .toeplitz) -> Program {
        Program("hash-relay", stages: [
            StageDeclaration("flow_hash", when: StageCondition("tcp.valid", .equal, 1),
                             .action(ActionDeclaration("hash", [.hashFields(function, Metadata.descriptor, fields: tcpFourTuple)]))),
        ])
    }

    /// Writes CRC32C of a memcached request's key (the bytes after header and extras, up to the
    /// packet's end) into its `opaque` field and its descriptor. Requests with extras are left alone.
    public static func memcachedKeyHash() -> Program {
        Program("key-hash", stages: [
            StageDeclaration("key_hash", when: StageCondition("memcached.extras_length", .equal, 0), .action(ActionDeclaration("hash", [
                .hashPayload(.crc32c, "memcached.opaque", after: "memcached", offset: 0, length: maximumKeyLength),
                .set(Metadata.descriptor, "memcached.opaque"),
            ]))),
        ])
    }
}
