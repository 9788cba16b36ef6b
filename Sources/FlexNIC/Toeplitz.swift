/// The Toeplitz hash of receive-side scaling (the Microsoft RSS specification): for every set bit of
/// the input, XOR in the 32 key bits starting at that bit position.
///
/// Contract: `hash` takes at most `maximumInputBytes` (36) bytes; it uses per-byte tables built once
/// from `standardKey`, so it costs one table load per input byte. `referenceHash` is the bit-by-bit
/// definition, for tests.
public enum Toeplitz {
    /// The key of the RSS specification's verification suite, used by most NIC drivers by default.
    public static let standardKey: [UInt8] = [
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
        0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
        0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    ]
    public static let maximumInputBytes = 36

    /// The hash of `input` under `key`, one bit at a time.
    public static func referenceHash(_ input: [UInt8], key: [UInt8] = standardKey) -> UInt32 {
        precondition(key.count >= input.count + 4, "the key must be 4 bytes longer than the input")
        var result: UInt32 = 0
        for bit in 0..<(input.count * 8) where input[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            result ^= window(key, at: bit)
        }
        return result
    }

    /// The 32 key bits starting at bit `bit`.
    private static func window(_ key: [UInt8], at bit: Int) -> UInt32 {
        var value: UInt64 = 0
        for index in 0..<5 { value = value << 8 | UInt64(bit / 8 + index < key.count ? key[bit / 8 + index] : 0) }
        return UInt32(truncatingIfNeeded: value >> UInt64(8 - bit % 8))
    }

    /// `table[position * 256 + byte]`: what `byte` at input position `position` contributes.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<UInt32> = {
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: maximumInputBytes * 256)
        for position in 0..<maximumInputBytes {
            for byte in 0..<256 {
                var contribution: UInt32 = 0
                for bit in 0..<8 where byte & (0x80 >> bit) != 0 { contribution ^= window(standardKey, at: position * 8 + bit) }
                table[position * 256 + byte] = contribution
            }
        }
        return table
    }()

    /// The hash of `count` (at most 36) bytes at `bytes` under the standard key.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawPointer, count: Int, table: UnsafeMutablePointer<UInt32>) -> UInt32 {
        var result: UInt32 = 0
        for position in 0..<min(count, maximumInputBytes) {
            result ^= table[position &* 256 &+ Int(bytes.load(fromByteOffset: position, as: UInt8.self))]
        }
        return result
    }
}
