import CFlexShim

/// Incremental SHA-256 (FIPS 180-4), used by the stack's tools to verify transferred streams.
///
/// Contract: `update` any number of times, then `finalize` once; the digest is 32 bytes, `hexDigest`
/// its lower-case hex. Not constant-time; for integrity checks, not secrets.
public struct SHA256: Sendable {
    private var hash: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockFill = 0
    private var messageLength: UInt64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        messageLength &+= UInt64(bytes.count)
        var index = 0
        while index < bytes.count {
            if blockFill == 0 && bytes.count - index >= 64 {
                let blocks = (bytes.count - index) / 64
                compress(UnsafeRawBufferPointer(rebasing: bytes[index..<index + 64 * blocks]))
                index += 64 * blocks
                continue
            }
            let taken = min(64 - blockFill, bytes.count - index)
            for offset in 0..<taken { block[blockFill + offset] = bytes[index + offset] }
            blockFill += taken
            index += taken
            if blockFill == 64 {
                let full = block
                full.withUnsafeBytes { compress($0) }
                blockFill = 0
            }
        }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Pads, finishes and returns the 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        let bitLength = messageLength &* 8
        var padding: [UInt8] = [0x80]
        let afterOne = (blockFill + 1) % 64
        padding += [UInt8](repeating: 0, count: afterOne <= 56 ? 56 - afterOne : 120 - afterOne)
        for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let length = messageLength
        update(padding)
        messageLength = length
        return hash.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
    }

    /// Finishes and returns the digest as lower-case hex.
    public mutating func hexDigest() -> String {
        finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Folds whole 64-byte blocks into the hash (in C: the Swift loop ran at a few MB/s in debug
    /// builds, which made the tools' and interop tests' stream checks the bottleneck).
    private mutating func compress(_ blocks: UnsafeRawBufferPointer) {
        hash.withUnsafeMutableBufferPointer { flexshim_sha256_compress($0.baseAddress, blocks.baseAddress, blocks.count / 64) }
    }
}
