#if canImport(Glibc)
import Glibc
#endif

/// The bytes every experiment stream carries: byte `i` of a stream is `bytes[i % period]`, so a
/// receiver checks what it reads without keeping what was sent.
///
/// Contract: `write`/`verify` take a stream offset and a count and work in at most two pieces.
struct StreamPattern {
    /// A prime, so that the pattern does not line up with ring or segment sizes.
    static let period = 65_521
    private let bytes: [UInt8]

    init(seed: UInt64) {
        var state = seed | 1
        let period = (0..<Self.period).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        // The first 64 KiB again after the period, so that any offset has 64 KiB in a row.
        bytes = (0..<(Self.period + 65_536)).map { period[$0 % Self.period] }
    }

    /// The pattern's bytes from stream offset `offset` on, at least 65,536 of them contiguous.
    func withBytes<Result>(at offset: UInt64, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let start = Int(offset % UInt64(Self.period))
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// True when `received` holds the stream's bytes from `offset` on.
    func matches(_ received: UnsafeRawBufferPointer, at offset: UInt64) -> Bool {
        precondition(received.count <= 65_536, "check at most 64 KiB at a time")
        guard let start = received.baseAddress else { return true }
        return withBytes(at: offset) { expected in memcmp(start, expected.baseAddress!, received.count) == 0 }
    }
}
