/// A keyed hash of flow keys for the flow table, so that remote peers, who choose their own
/// addresses and ports, cannot aim many connections at one slot without knowing the key.
///
/// Contract: `hash(_:)` depends on both 64-bit key halves and every bit of the 12-byte key; it is
/// fast (two 64×64→128-bit multiplications, each folded by XOR of its halves) but not a
/// cryptographic PRF. SipHash-1-3 with the same 128-bit key would be a drop-in replacement where a
/// proven bound is wanted.
package struct FlowKeyHasher: Sendable {
    @usableFromInline let key0: UInt64
    @usableFromInline let key1: UInt64

    /// Uses the given key. The top bit of `key1` is forced on so that no port word can cancel it
    /// to zero (which would make the first product ignore the addresses).
    package init(key0: UInt64, key1: UInt64) {
        self.key0 = key0
        self.key1 = key1 | 1 << 63
    }

    /// A hasher with a key from the system's secure random source.
    package static func random() -> FlowKeyHasher {
        var generator = SystemRandomNumberGenerator()
        return FlowKeyHasher(key0: generator.next(), key1: generator.next())
    }

    @inlinable
    package func hash(_ key: FlowKey) -> UInt64 {
        let mixed = Self.foldedMultiply(key.addressWord ^ key0, UInt64(key.portWord) ^ key1)
        return Self.foldedMultiply(mixed ^ key0, 0x9E37_79B9_7F4A_7C15)
    }

    @inlinable
    static func foldedMultiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
}
