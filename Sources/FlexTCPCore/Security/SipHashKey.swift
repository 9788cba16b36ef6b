/// The 128-bit secret key of SipHash.
///
/// Contract: a plain value. `k0` holds key bytes 0...7 and `k1` bytes 8...15, each read as a
/// little-endian integer, as the SipHash specification defines. Keys for ISNs, SYN cookies and
/// flow-table hashing must be secret; `random()` draws one from the system generator.
package struct SipHashKey: Hashable, Sendable {
    package var k0: UInt64
    package var k1: UInt64

    @inlinable
    package init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// Reads a key from exactly 16 bytes; returns nil for any other length.
    package init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16, let base = bytes.baseAddress else { return nil }
        k0 = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        k1 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// Draws both halves from `generator`.
    package init(using generator: inout some RandomNumberGenerator) {
        k0 = generator.next()
        k1 = generator.next()
    }

    /// A fresh secret key from `SystemRandomNumberGenerator`.
    package static func random() -> SipHashKey {
        var generator = SystemRandomNumberGenerator()
        return SipHashKey(using: &generator)
    }
}
