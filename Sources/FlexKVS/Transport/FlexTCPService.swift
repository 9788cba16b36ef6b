import FlexTCP

/// FlexKVS on one FlexTCP `Context`: answers its connections' requests from the receive ring, and
/// closes each when the client quits or finishes. The listening service (given a port) accepts
/// every connection and hands them round robin to itself and the `workers` (other threads'
/// contexts, A.4 move), which serve what moves in.
///
/// Contract: one thread calls `step` repeatedly (and `context.wait` when it returns false).
/// `listenError` is set if the port could not be opened; `isListening` once it is. Package-visible
/// so that a benchmark can step a server on a caller-driven stack (`flexbench kvs --instructions`).
package final class FlexTCPService {
    package let context: Context
    private let server: CacheServer
    private let workers: [Context]
    private var nextWorker = 0
    private var clients = IdentityTable<FlexTCPClient>()
    /// Clients with replies not yet in the send ring or requests not yet answered, served again next step.
    private var waiting: [FlexTCPClient] = []
    /// This step's clients to serve (reused; a client may appear twice, `round` serves it once).
    private var due: [FlexTCPClient] = []
    private var round: UInt64 = 0
    package private(set) var isListening = false
    package private(set) var listenError: TCPError?

    /// A service that listens on `port` (nil: serves only connections moved in) and shares its
    /// connections with `workers`.
    package init(context: Context, server: CacheServer, port: UInt16?, workers: [Context] = []) {
        self.context = context
        self.server = server
        self.workers = workers
        if let port { _ = context.listen(on: port, backlog: 1024) }
    }

    /// Polls the context and serves; true if anything happened.
    package func step() -> Bool {
        round &+= 1
        // Clients still owing replies (send space, or requests a pause held back), then those with news.
        // `due` is empty between steps: the swap hands it the waiting clients without copying, and an
        // idle step touches neither array's storage.
        swap(&due, &waiting)
        var busy = context.poll { event in
            switch event {
            case .listening: isListening = true
            case .listenFailed(_, let error): listenError = error
            case .incomingConnection(let waiting, _, _): _ = context.accept(on: waiting)
            case .accepted(let connection):
                nextWorker = (nextWorker + 1) % (workers.count + 1)
                if nextWorker == 0 { due.append(adopt(connection)) } else { context.move(connection, to: workers[nextWorker - 1]) }
            case .movedIn(let connection), .moveFailed(let connection, _):
                due.append(adopt(connection))
            case .received(let connection, _), .sendSpaceAvailable(let connection):
                if let client = clients.value(for: connection) { due.append(client) }
            case .endOfStream(let connection):
                context.close(connection)
            case .closed(let connection, _):
                if let client = clients.remove(connection) {
                    client.isClosed = true
                    server.connectionClosed()
                }
            default:
                break
            }
        } > 0
        for client in due where client.servedRound != round && !client.isClosed {
            client.servedRound = round
            busy = serve(client) || busy
            if client.isWaiting { waiting.append(client) }
        }
        if !due.isEmpty { due.removeAll(keepingCapacity: true) }
        context.flush()
        return busy
    }

    /// Serves `connection` from this context from now on.
    private func adopt(_ connection: Connection) -> FlexTCPClient {
        let client = FlexTCPClient(connection: connection, server: server)
        clients.insert(client, for: connection)
        server.connectionOpened()
        return client
    }

    /// Answers what the client sent and moves replies out until neither moves; true if anything
    /// moved. Closes a finished session.
    private func serve(_ client: FlexTCPClient) -> Bool {
        var moved = false
        while true {
            let taken = client.takeReceived(on: context, server: server)
            let sent = client.sendReplies(on: context, server: server)
            guard taken > 0 || sent > 0 else { break }
            moved = true
        }
        if client.isFinished { context.close(client.connection) }
        return moved
    }
}
