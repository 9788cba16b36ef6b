import FlexTCP

/// NVMe/TCP connections on a FlexTCP `Context`: each connection's received bytes are lent to its
/// endpoint straight from the receive ring (both pieces when it wraps) and freed as consumed — the
/// PDU reader stages only headers, so write data goes from the ring into the namespace and read data
/// into the caller's buffer. Each endpoint's `OutboundBuffer` is lent the connection's free transmit
/// ring, so PDUs are written in place there and sent without a copy; only PDUs that did not fit are
/// copied in later.
///
/// Contract: used on the context's thread. `attach` an endpoint to an open connection; `service`
/// after each poll moves bytes for every connection and closes those whose endpoint finished; `ended`
/// on a connection's `closed` event tells its endpoint. With an application-driven `stack`, the
/// thread runs that stack too: `driveStack` before each poll of the context, `wait` when idle.
final class ContextStreams<Endpoint: StreamEndpoint> {
    let context: Context
    /// The application-driven stack this thread runs (nil: the stack runs on a thread of its own).
    private let stack: FlexTCPStack?
    private var streams: [(connection: Connection, endpoint: Endpoint)] = []

    init(context: Context, driving stack: FlexTCPStack? = nil) {
        self.context = context
        self.stack = stack
    }

    /// Hands the context's waiting counts over and runs one round of the driven stack; true if the
    /// stack did anything (false without one).
    func driveStack() -> Bool {
        guard let stack else { return false }
        context.flush()
        return stack.poll()
    }

    /// Sleeps until the context (through the driven stack, if any) may have events, or `timeout`.
    func wait(timeout: Duration) {
        guard let stack else {
            context.wait(timeout: timeout)
            return
        }
        context.flush()
        stack.waitForWork(timeout: timeout)
    }

    var count: Int { streams.count }

    func attach(_ connection: Connection, to endpoint: Endpoint) {
        streams.append((connection, endpoint))
    }

    /// The connection is gone (its `closed` event): the endpoint closes.
    func ended(_ connection: Connection) {
        guard let index = streams.firstIndex(where: { $0.connection === connection }) else { return }
        let endpoint = streams.remove(at: index).endpoint
        _ = endpoint.outbound.takeLent()
        endpoint.close()
    }

    /// Lets every endpoint check its timers (keep-alive).
    func checkTimers() {
        for stream in streams { stream.endpoint.checkTimers() }
    }

    /// Closes every connection and tells its endpoint (the server stops).
    func closeAll() {
        for (connection, endpoint) in streams {
            _ = endpoint.outbound.takeLent()
            context.close(connection)
            endpoint.close()
        }
        streams = []
        context.flush()
    }

    /// Moves bytes for every connection; returns whether any moved.
    @discardableResult
    func service() -> Bool {
        var moved = false
        for (connection, endpoint) in streams {
            let unfreed = connection.unfreedBytes
            if unfreed.count > 0 {
                let consumed = unfreed.withUnsafeBytes { first, second in
                    var input = InputBytes(first, second)
                    endpoint.receive(&input)
                    return input.consumed
                }
                if consumed > 0 {
                    context.freeReceivedBytes(consumed, of: connection)
                    moved = true
                }
            }
            if send(endpoint.outbound, on: connection) { moved = true }
            if endpoint.isFinished && endpoint.outbound.isEmpty && !connection.isClosing || connection.hasStreamEnded && !connection.isClosing {
                _ = endpoint.outbound.takeLent()
                context.close(connection)
            }
        }
        context.flush()
        return moved
    }

    /// Sends the PDUs written into the lent transmit space, then copies in those waiting in the
    /// buffer's own storage as far as they fit; once none wait, lends the free space anew. True if
    /// anything was sent.
    private func send(_ outbound: OutboundBuffer, on connection: Connection) -> Bool {
        var moved = false
        let written = outbound.takeLent()
        if written > 0 {
            context.sendReserved(written, on: connection)
            moved = true
        }
        // The own storage lends its pending bytes one region at a time.
        while !outbound.isEmpty {
            let space = context.reserveSendSpace(outbound.pending.count, on: connection)
            guard space.count > 0 else { break }
            let copied = space.copyBytes(from: outbound.pending)
            context.sendReserved(copied, on: connection)
            outbound.consume(copied)
            moved = true
        }
        if outbound.isEmpty && !connection.isClosing {
            // The public `RingSpan` offers send space only to copy into (`copyBytes(from:)`); its pieces are
            // this package's, so PDUs are written in place.
            let space = context.reserveSendSpace(connection.sendSpace, on: connection)
            outbound.lend(space.leadingPiece, space.trailingPiece)
        }
        return moved
    }
}
