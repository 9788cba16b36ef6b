import FlexTCP

/// One client connection on a FlexTCP `Context`: requests are parsed straight from the receive
/// ring and freed there; only what is left unanswered (a request split across arrivals, wrapping
/// the ring's end or larger than the ring) is copied into `input` and completed there. While
/// replies wait (`ProtocolSession.isPaused`) nothing is taken from the ring, so the peer's window
/// closes. Replies are copied from the session's output into the send ring as space allows.
final class FlexTCPClient {
    let connection: Connection
    let session: ProtocolSession
    private let input = ByteBuffer()
    /// The service's step that last served this client.
    var servedRound: UInt64 = 0
    /// The connection's `closed` event came: the service no longer holds this client.
    var isClosed = false

    init(connection: Connection, server: CacheServer) {
        self.connection = connection
        session = ProtocolSession(server: server)
    }

    /// True if replies wait for send space or received bytes wait in the ring.
    var isWaiting: Bool { !session.output.isEmpty || connection.unfreedByteCount > 0 }

    /// Answers what arrived (unless paused); returns how many received bytes were freed from the ring.
    func takeReceived(on context: Context, server: CacheServer) -> Int {
        // After quit nothing more is answered: what follows is dropped, so the close can complete.
        if session.wantsClose { return context.freeReceivedBytes(connection.unfreedByteCount, of: connection) }
        guard !session.isPaused else { return 0 }
        if !input.isEmpty { session.process(input) }
        let span = connection.unfreedBytes
        guard !span.isEmpty, !session.isPaused, !session.wantsClose else { return 0 }
        var taken = 0
        if input.isEmpty {
            taken = span.withUnsafeBytes { leading, trailing in
                let used = session.process(leading)
                guard used == leading.count, !trailing.isEmpty, !session.wantsClose else { return used }
                return used + session.process(trailing)
            }
        }
        // What is left (an incomplete request, or requests a pause held back) continues in `input`.
        if span.count > taken && !session.wantsClose {
            let space = input.reserve(span.count - taken)
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
        if output.isEmpty {
            output.shrink()
            input.shrink()
        }
        server.countWritten(copied)
        return copied
    }

    /// True when everything is said and the session is over.
    var isFinished: Bool { session.wantsClose && session.output.isEmpty }
}
