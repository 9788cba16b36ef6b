/// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed pseudorandom function with a 128-bit key
/// and a 64-bit output.
///
/// Contract: hashing a message gives the output of the reference SipHash-2-4 for that message and
/// key. Use the one-shot `hash(_:key:)` for raw bytes, or build the message from whole 64-bit words
/// with `append(_:)` and `finalize()`: appending words `w0, w1, ...` hashes the same message as
/// their little-endian bytes. Neither allocates.
package struct SipHash24: Sendable {
    @usableFromInline var v0: UInt64
    @usableFromInline var v1: UInt64
    @usableFromInline var v2: UInt64
    @usableFromInline var v3: UInt64
    /// Message bytes absorbed so far; only its low byte enters the final block.
    @usableFromInline var byteCount: UInt64

    @inlinable
    package init(key: SipHashKey) {
        v0 = key.k0 ^ 0x736f_6d65_7073_6575
        v1 = key.k1 ^ 0x646f_7261_6e64_6f6d
        v2 = key.k0 ^ 0x6c79_6765_6e65_7261
        v3 = key.k1 ^ 0x7465_6462_7974_6573
        byteCount = 0
    }

    /// Absorbs eight message bytes, given as a little-endian word.
    @inlinable
    package mutating func append(_ word: UInt64) {
        compress(word)
        byteCount &+= 8
    }

    /// The hash of the words appended so far.
    @inlinable
    package func finalize() -> UInt64 {
        finalize(tail: 0)
    }

    /// The hash of `bytes` under `key`.
    @inlinable
    package static func hash(_ bytes: UnsafeRawBufferPointer, key: SipHashKey) -> UInt64 {
        var state = SipHash24(key: key)
        guard let base = bytes.baseAddress else { return state.finalize() }
        let wholeWordBytes = bytes.count & ~7
        var offset = 0
        while offset < wholeWordBytes {
            state.append(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset &+= 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            tail |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) &<< shift
            shift &+= 8
            offset &+= 1
        }
        state.byteCount &+= shift / 8
        return state.finalize(tail: tail)
    }

    /// Mixes the final block (the last `byteCount % 8` message bytes in `tail`, the length in the
    /// top byte) and runs the four finalization rounds.
    @inlinable
    func finalize(tail: UInt64) -> UInt64 {
        var state = self
        state.compress(tail | state.byteCount &<< 56)
        state.v2 ^= 0xff
        state.round()
        state.round()
        state.round()
        state.round()
        return state.v0 ^ state.v1 ^ state.v2 ^ state.v3
    }

    @inlinable
    mutating func compress(_ message: UInt64) {
        v3 ^= message
        round()
        round()
        v0 ^= message
    }

    @inlinable
    mutating func round() {
        v0 &+= v1; v1 = Self.rotate(v1, by: 13); v1 ^= v0; v0 = Self.rotate(v0, by: 32)
        v2 &+= v3; v3 = Self.rotate(v3, by: 16); v3 ^= v2
        v0 &+= v3; v3 = Self.rotate(v3, by: 21); v3 ^= v0
        v2 &+= v1; v1 = Self.rotate(v1, by: 17); v1 ^= v2; v2 = Self.rotate(v2, by: 32)
    }

    @inlinable
    static func rotate(_ value: UInt64, by bits: UInt64) -> UInt64 {
        value &<< bits | value &>> (64 &- bits)
    }
}
