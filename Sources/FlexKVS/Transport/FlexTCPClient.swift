import FlexTCP

/// One client connection on a FlexTCP `Context`: requests are parsed straight from the receive
/// ring and freed there; only a request left incomplete (split across arrivals, wrapping the
/// ring's end, or larger than the ring) is copied into `input` and completed there. Replies are
/// copied from the session's output into the send ring as space allows.
final class FlexTCPClient {
    let connection: Connection
    let session: ProtocolSession
    private let input = ByteBuffer()

    init(connection: Connection, server: CacheServer) {
        self.connection = connection
        session = ProtocolSession(server: server)
    }

    /// Answers what arrived; returns how many received bytes were taken (freed from the ring).
    func takeReceived(on context: Context, server: CacheServer) -> Int {
        let span = connection.unfreedBytes
        guard !span.isEmpty else { return 0 }
        let taken: Int
        if input.isEmpty {
            taken = span.withUnsafeBytes { leading, trailing in
                let used = session.process(leading)
                guard used == leading.count, !trailing.isEmpty, !session.wantsClose else { return used }
                return used + session.process(trailing)
            }
        } else {
            taken = 0
        }
        // The rest is an incomplete request: complete it in `input`.
        let rest = span.count - taken
        if rest > 0 && !session.wantsClose {
            let space = input.reserve(rest)
            let copied = span.withUnsafeBytes { leading, trailing in
                let skipLeading = min(taken, leading.count)
                let first = UnsafeRawBufferPointer(rebasing: leading[skipLeading...])
                let second = UnsafeRawBufferPointer(rebasing: trailing[(taken - skipLeading)...])
                if !first.isEmpty { space.baseAddress!.copyMemory(from: first.baseAddress!, byteCount: first.count) }
                if !second.isEmpty { (space.baseAddress! + first.count).copyMemory(from: second.baseAddress!, byteCount: second.count) }
                return first.count + second.count
            }
            input.commit(copied)
            session.process(input)
        }
        let freed = context.freeReceivedBytes(span.count, of: connection)
        server.countRead(freed)
        return freed
    }

    /// Moves replies into the send ring; returns the bytes sent.
    func sendReplies(on context: Context, server: CacheServer) -> Int {
        let output = session.output
        guard !output.isEmpty else { return 0 }
        let space = context.reserveSendSpace(output.count, on: connection)
        guard !space.isEmpty else { return 0 }
        let copied = space.copyBytes(from: output.readable)
        context.sendReserved(copied, on: connection)
        output.consume(copied)
        if output.isEmpty { output.shrink() }
        server.countWritten(copied)
        return copied
    }

    /// True when everything is said and the session is over.
    var isFinished: Bool { session.wantsClose && session.output.isEmpty }
}
