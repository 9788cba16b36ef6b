/// The byte streams a fuzz session checks: what the legitimate peer sends and what the stack's
/// application writes back. Both are fixed functions of the stream position, so any byte can be
/// checked without storing the stream.
public enum FuzzStreams {
    /// Bytes the legitimate peer sends before its FIN.
    public static let peerStreamLength = 20 * 1024
    /// Bytes the stack's application writes towards the peer over a session (at most).
    public static let stackStreamLength = 16 * 1024

    /// The peer's byte at stream position `position` (0 is the first byte after its SYN).
    public static func peerByte(at position: Int) -> UInt8 { mix(position, 0x9E37_79B9) }

    /// The stack application's byte at stream position `position`.
    public static func stackByte(at position: Int) -> UInt8 { mix(position, 0x85EB_CA6B) }

    /// The peer's bytes for positions `range`, clamped to the stream; positions before the stream
    /// (at or before the SYN) get 0xEE, which no correct receiver ever delivers.
    public static func peerBytes(_ range: Range<Int>) -> [UInt8] {
        range.map { $0 < 0 ? 0xEE : peerByte(at: $0) }
    }

    private static func mix(_ position: Int, _ multiplier: UInt32) -> UInt8 {
        let value = UInt32(truncatingIfNeeded: position) &* multiplier
        return UInt8(truncatingIfNeeded: (value >> 13) ^ (value >> 24))
    }
}
