import FlexTCP
import FlexTCPCore

/// An echo server written against the low-level API (dissertation A.4): it keeps `acceptsAhead`
/// accepts outstanding, copies every received byte from the receive ring into the transmit ring
/// as space allows, and closes a connection once the peer finished and everything is echoed.
/// It runs on its own thread until `served` connections have closed or moved away, or the
/// deadline passes. With `moveAway` set it moves each connection to another context once it has
/// echoed that many bytes in all; without a port it serves only connections moved to it.
final class LowLevelEchoServer {
    let context: Context
    let port: UInt16?
    let served: Int
    /// Where to move connections, after how many echoed bytes; first the server tries two moves
    /// that must be refused (to its own context and to `foreign`, a context of another runtime),
    /// and after the move one of the connection it no longer holds.
    var moveAway: (target: Context, foreign: Context, afterBytes: Int)?
    /// Every `moved` status, in order.
    private(set) var moveStatuses: [SlowPathStatus] = []
    private(set) var movedIn = 0
    /// Raised once the listener is open (clients connect after that).
    let isListening = SharedFlag()
    private(set) var closedConnections = 0
    private(set) var echoedBytes = 0
    private(set) var failures: [String] = []
    private var open: [Connection] = []
    private var listener: Listener?

    init(attachment: ContextAttachment, port: UInt16?, served: Int) throws {
        context = try Context(attachment: attachment)
        self.port = port
        self.served = served
    }

    func run(until deadline: Deadline) {
        start()
        while !isDone && !deadline.hasPassed {
            if step() == 0 { _ = context.wait(timeoutNanoseconds: 50_000_000) }
        }
        // Events the library decided itself are reported at the next poll.
        context.poll { handle($0, listener: listener) }
    }

    /// Opens the listener (if the server has a port).
    func start() { listener = port.map { context.openListener(port: $0, backlog: 16) } }

    /// Every connection to serve has closed or moved away.
    var isDone: Bool { closedConnections + moveStatuses.count(where: { $0 == .success }) >= served }

    /// One iteration on the caller's thread: events, echoes, the move if due. Returns events and bytes handled.
    func step() -> Int {
        let events = context.poll { handle($0, listener: listener) }
        let moved = open.reduce(0) { $0 + echo($1) }
        if let (target, foreign, afterBytes) = moveAway, echoedBytes >= afterBytes, let connection = open.first {
            moveAway = nil
            context.move(connection, to: context)
            context.move(connection, to: foreign)
            context.move(connection, to: target)
        }
        return events + moved
    }

    private func handle(_ event: ContextEvent, listener: Listener?) {
        switch event {
        case .listenerOpened(_, let status):
            guard status == .success, let listener else { return failures.append("listen: \(status)") }
            for _ in 0..<served { _ = context.accept(on: listener) }
            isListening.raise()
        case .accepted(let connection, let status):
            guard status == .success else { return failures.append("accept: \(status)") }
            open.append(connection)
        case .closed(let connection, _):
            open.removeAll { $0 === connection }
            closedConnections += 1
        case .rejected(let rejection):
            failures.append("rejected: \(rejection)")
        case .moved(let connection, let status):
            moveStatuses.append(status)
            guard status == .success else { return }
            open.removeAll { $0 === connection }
            context.move(connection, to: context)
        case .movedIn(let connection):
            movedIn += 1
            open.append(connection)
        case .newConnection, .connected, .received, .sendSpaceAvailable, .endOfStream:
            break
        }
    }

    /// Echoes what fits; closes when the stream ended and nothing is left. Returns bytes moved.
    private func echo(_ connection: Connection) -> Int {
        let space = context.txAlloc(connection, bytes: connection.unfreedBytes)
        let count = space.count
        if count > 0 {
            connection.unfreedSpan.copyBytes(to: space, count: count)
            context.txSend(connection, bytes: count)
            context.rxFree(connection, bytes: count)
            echoedBytes += count
        }
        if connection.streamEnded && connection.unfreedBytes == 0 && !connection.closeRequested { context.close(connection) }
        return count
    }
}
