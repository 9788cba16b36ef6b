/// What a pipeline decided for one packet.
public struct PacketVerdict: Equatable, Sendable {
    /// Where the packet itself goes.
    public enum Disposition: Equatable, Sendable {
        /// On to the host stack (no queue chosen).
        case pass
        /// Into software queue `n`.
        case queue(Int)
        case drop(reason: UInt8)
        case exception(reason: UInt8)
    }

    /// The exception reason of a packet the parser could not parse (a header beyond the packet's end,
    /// a variable length outside its bounds).
    public static let parseErrorReason: UInt8 = 255

    public var disposition: Disposition
    /// Bytes of the reply the packet produced (in `Pipeline.reply`), 0 for none.
    public var replyLength: Int
    /// The value for the packet's descriptor (`meta.descriptor`).
    public var descriptor: UInt32
    /// Queue-manager bucket and tokens (`meta.bucket`, `meta.tokens`).
    public var bucket: UInt64
    public var tokens: UInt64

    public init(disposition: Disposition, replyLength: Int = 0, descriptor: UInt32 = 0, bucket: UInt64 = 0, tokens: UInt64 = 0) {
        self.disposition = disposition
        self.replyLength = replyLength
        self.descriptor = descriptor
        self.bucket = bucket
        self.tokens = tokens
    }
}
