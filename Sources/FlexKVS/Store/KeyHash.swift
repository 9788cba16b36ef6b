import FlexWire

/// FlexKVS's key hash: CRC32C of the key (the hash a FlexNIC key-steering program computes and
/// relays, `KeySteering`), widened to 64 bits — the CRC in the high half (partition: bits 40...,
/// i.e. CRC bits 8...; slot tag: bits 48...63) and a murmur3-style mix of it in the low half (bucket
/// index), so the bucket index does not repeat the partition's bits.
///
/// Contract: deterministic across runs and processes (no seed), so a NIC program or a client can
/// compute the CRC and hand it in (`widening`; `KeyValueStore` takes a precomputed hash on every
/// request path). Not resistant to chosen-key flooding: a hostile client can only lengthen its own
/// bucket chains (bounded by the memory limit), never break the store.
public enum KeyHash {
    /// The hash of `key`.
    @inlinable
    public static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 { widening(CRC32C.checksum(key)) }

    /// The hash of a byte array (tests, clients).
    public static func hash(_ key: [UInt8]) -> UInt64 { key.withUnsafeBytes { hash($0) } }

    /// The hash of a key whose CRC32C is `crc` (as a NIC relays it).
    @inlinable
    public static func widening(_ crc: UInt32) -> UInt64 {
        var mixed = crc
        mixed ^= mixed >> 16
        mixed &*= 0x85EB_CA6B
        mixed ^= mixed >> 13
        mixed &*= 0xC2B2_AE35
        mixed ^= mixed >> 16
        return UInt64(crc) << 32 | UInt64(mixed)
    }
}
