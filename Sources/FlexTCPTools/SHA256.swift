/// Incremental SHA-256 (FIPS 180-4), used by the stack's tools to verify transferred streams.
///
/// Contract: `update` any number of times, then `finalize` once; the digest is 32 bytes, `hexDigest`
/// its lower-case hex. Not constant-time; for integrity checks, not secrets.
public struct SHA256: Sendable {
    private static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    private var hash: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockFill = 0
    private var messageLength: UInt64 = 0
    private var schedule = [UInt32](repeating: 0, count: 64)

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        messageLength &+= UInt64(bytes.count)
        var index = 0
        while index < bytes.count {
            if blockFill == 0 && bytes.count - index >= 64 {
                compress(UnsafeRawBufferPointer(rebasing: bytes[index..<index + 64]))
                index += 64
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

    private mutating func compress(_ chunk: UnsafeRawBufferPointer) {
        for index in 0..<16 { schedule[index] = UInt32(bigEndian: chunk.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)) }
        for index in 16..<64 {
            let w15 = schedule[index - 15], w2 = schedule[index - 2]
            let s0 = w15.rotatedRight(7) ^ w15.rotatedRight(18) ^ (w15 >> 3)
            let s1 = w2.rotatedRight(17) ^ w2.rotatedRight(19) ^ (w2 >> 10)
            schedule[index] = schedule[index - 16] &+ s0 &+ schedule[index - 7] &+ s1
        }
        var a = hash[0], b = hash[1], c = hash[2], d = hash[3], e = hash[4], f = hash[5], g = hash[6], h = hash[7]
        for index in 0..<64 {
            let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
            let choice = (e & f) ^ (~e & g)
            let t1 = h &+ s1 &+ choice &+ Self.roundConstants[index] &+ schedule[index]
            let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ s0 &+ majority
        }
        hash[0] &+= a; hash[1] &+= b; hash[2] &+= c; hash[3] &+= d
        hash[4] &+= e; hash[5] &+= f; hash[6] &+= g; hash[7] &+= h
    }
}

extension UInt32 {
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 { (self >> count) | (self << (32 - count)) }
}
