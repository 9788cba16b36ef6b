import FlexPort

/// An endless pseudo-random byte stream from a seed: the same seed gives the same bytes however
/// the stream is cut into chunks (the test pattern of `flextcp send`).
public struct SeededByteStream: Sendable {
    private var random: SeededRandom
    private var word: UInt64 = 0
    private var bytesLeftInWord = 0

    public init(seed: UInt64) { random = SeededRandom(seed: seed) }

    /// Fills `buffer` with the next `buffer.count` bytes of the stream: the rest of the current
    /// word, then whole words at a time (little-endian, eight of the byte steps in one store), then
    /// the start of the next word.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        var index = 0
        while index < buffer.count {
            if bytesLeftInWord == 0 && buffer.count - index >= 8 {
                base.storeBytes(of: random.next().littleEndian, toByteOffset: index, as: UInt64.self)
                index += 8
                continue
            }
            if bytesLeftInWord == 0 {
                word = random.next()
                bytesLeftInWord = 8
            }
            base.storeBytes(of: UInt8(truncatingIfNeeded: word), toByteOffset: index, as: UInt8.self)
            word >>= 8
            bytesLeftInWord -= 1
            index += 1
        }
    }
}
