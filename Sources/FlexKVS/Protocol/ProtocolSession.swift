/// One client connection's protocol state: which protocol it speaks (decided by its first byte,
/// as memcached does: 0x80 is binary, anything else text), the bytes of an abandoned value still
/// to discard, and the replies waiting to be sent.
///
/// Contract: the transport appends what it reads to an input `ByteBuffer` and calls `process`,
/// which answers every complete request at its front into `output` and consumes it; a partial
/// request stays for the next call (requests may arrive split anywhere, or many in one read).
/// After `wantsClose` the transport sends what is in `output` and closes. Once `output` holds
/// `outputPause` bytes, `process` stops taking requests (`isPaused`) until the transport has sent
/// some, so a client that pipelines reads and does not read the replies holds little memory.
/// Nothing a client sends can make it trap; memory held is bounded by the largest accepted request
/// and reply plus `outputPause`.
public final class ProtocolSession {
    let server: CacheServer
    var store: KeyValueStore { server.store }
    /// Replies not yet sent.
    public let output = ByteBuffer()
    /// True once the client asked to quit or broke the protocol beyond recovery.
    public internal(set) var wantsClose = false

    enum Dialect { case undecided, text, binary }
    var dialect = Dialect.undecided
    /// Bytes of an abandoned request value still to discard as they arrive.
    var swallowing = 0
    /// The current text command's token ranges (reused).
    var tokens: [Range<Int>] = []
    /// The current text command said `noreply`: its replies are dropped.
    var noreply = false
    /// The next key's hash as a NIC relayed it (`KeySteering`), used once instead of hashing the key.
    var relayedHash: UInt64?

    /// Replies held before `process` stops taking requests.
    public static let outputPause = 1 << 20

    /// True while the replies waiting to be sent keep `process` from taking more requests.
    public var isPaused: Bool { output.count >= Self.outputPause }

    public init(server: CacheServer) {
        self.server = server
        tokens.reserveCapacity(32)
    }

    /// Answers and consumes every complete request at the front of `input`.
    public func process(_ input: ByteBuffer) {
        input.consume(process(input.readable))
    }

    /// Answers every complete request at the front of `bytes` (a transport's buffer or straight a
    /// receive ring's piece); returns how many bytes were used. The rest is a partial request: hand
    /// it in again, with what follows it, once more has arrived.
    public func process(_ bytes: UnsafeRawBufferPointer) -> Int {
        var used = 0
        while true {
            let taken = processNext(UnsafeRawBufferPointer(rebasing: bytes[used...]))
            guard taken > 0 else { return used }
            used += taken
        }
    }

    /// Answers the one request at the front of `bytes` (with the discarded bytes before it);
    /// returns the bytes used (0: none complete, paused, or closing).
    func processNext(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard !wantsClose && !isPaused else { return 0 }
        var used = 0
        if swallowing > 0 {
            used = min(swallowing, bytes.count)
            swallowing -= used
            if swallowing > 0 { return used }
        }
        guard used < bytes.count else { return used }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[used...])
        if dialect == .undecided { dialect = rest[0] == BinaryHeader.requestMagic ? .binary : .text }
        return used + (dialect == .binary ? processBinary(rest) : processText(rest))
    }

    /// The hash of `key`: the relayed one if a NIC handed it in for this request (once), else computed.
    @inline(__always)
    func keyHash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        guard let relayed = relayedHash else { return KeyHash.hash(key) }
        relayedHash = nil
        return relayed
    }

    /// Forgets the protocol state, for a session that serves one datagram after another.
    func reset() {
        dialect = .undecided
        swallowing = 0
        wantsClose = false
        relayedHash = nil
        output.removeAll()
    }
}
