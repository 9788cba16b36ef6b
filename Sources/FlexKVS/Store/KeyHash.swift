/// FlexKVS's key hash: a small, fast non-cryptographic 64-bit hash (8 bytes per multiply-rotate
/// round, a murmur3-style finalizer so that both the low bits (bucket index) and the high bits
/// (partition, slot tag) are well mixed).
///
/// Contract: deterministic across runs and processes (no seed), so a NIC program or a client can
/// compute the same value and hand it in (`KeyValueStore` takes a precomputed hash on every
/// request path). Not resistant to chosen-key flooding: a hostile client can only lengthen its own
/// bucket chains (bounded by the memory limit), never break the store.
public enum KeyHash {
    /// The hash of `key`.
    @inlinable
    public static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var state: UInt64 = 0xA076_1D64_78BD_642F ^ (UInt64(key.count) &* multiplier)
        var offset = 0
        while offset + 8 <= key.count {
            let word = key.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            state = ((state ^ (word &* multiplier)) &* 0xE703_7ED1_A0B4_28DB)
            state = (state << 31) | (state >> 33)
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < key.count {
            tail |= UInt64(key[offset]) << shift
            shift += 8
            offset += 1
        }
        state = (state ^ (tail &* multiplier)) &* 0xE703_7ED1_A0B4_28DB
        return finalize(state)
    }

    /// The hash of a byte array (tests, clients).
    public static func hash(_ key: [UInt8]) -> UInt64 { key.withUnsafeBytes { hash($0) } }

    @inlinable
    static func finalize(_ value: UInt64) -> UInt64 {
        var mixed = value
        mixed ^= mixed >> 33
        mixed &*= 0xFF51_AFD7_ED55_8CCD
        mixed ^= mixed >> 33
        mixed &*= 0xC4CE_B9FE_1A85_EC53
        mixed ^= mixed >> 33
        return mixed
    }
}
