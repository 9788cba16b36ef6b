import FlexPort

/// An endless pseudo-random byte stream from a seed: the same seed gives the same bytes however
/// the stream is cut into chunks (the test pattern of `flextcp send`).
public struct SeededByteStream: Sendable {
    private var random: SeededRandom
    private var word: UInt64 = 0
    private var bytesLeftInWord = 0

    public init(seed: UInt64) { random = SeededRandom(seed: seed) }

    /// Fills `buffer` with the next `buffer.count` bytes of the stream.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        for index in 0..<buffer.count {
            if bytesLeftInWord == 0 {
                word = random.next()
                bytesLeftInWord = 8
            }
            buffer[index] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            bytesLeftInWord -= 1
        }
    }
}
