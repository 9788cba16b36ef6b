import FlexTCP
import FlexTCPCore

/// An echo server written against the low-level API (dissertation A.4): it keeps `acceptsAhead`
/// accepts outstanding, copies every received byte from the receive ring into the transmit ring
/// as space allows, and closes a connection once the peer finished and everything is echoed.
/// It runs until `served` connections have closed or moved away: on a thread of its own (`run`,
/// until a deadline) or round by round in a stepped runtime's loop (`start`, `runRound`,
/// `finish`). With `moveAway` set it moves each connection to another context once it has echoed
/// that many bytes in all; without a port it serves only connections moved to it.
final class LowLevelEchoServer {
    let context: Context
    let port: UInt16?
    let served: Int
    /// Where to move connections, after how many echoed bytes; first the server tries two moves
    /// that must be refused (to its own context and to `foreign`, a context of another runtime),
    /// and after the move one of the connection it no longer holds.
    var moveAway: (target: Context, foreign: Context, afterBytes: Int)?
    /// Every move's outcome, in order (nil: moved).
    private(set) var moveOutcomes: [TCPError?] = []
    private(set) var movedIn = 0
    /// Raised once the listener is open (clients connect after that).
    let isListening = SharedFlag()
    private(set) var closedConnections = 0
    private(set) var echoedBytes = 0
    private(set) var failures: [String] = []
    private var open: [Connection] = []
    private var listener: Listener?

    init(context: Context, port: UInt16?, served: Int) {
        self.context = context
        self.port = port
        self.served = served
    }

    convenience init(attachment: ContextAttachment, port: UInt16?, served: Int) throws {
        self.init(context: try Context(attachment: attachment), port: port, served: served)
    }

    /// Runs on this thread until `isDone` or the deadline passes, waiting on the context when idle.
    func run(until deadline: Deadline) {
        start()
        while !isDone && !deadline.hasPassed {
            if !runRound() { context.wait(timeout: .milliseconds(50)) }
        }
        finish()
    }

    /// Opens the listener (if the server has a port).
    func start() {
        listener = port.map { context.listen(on: $0, backlog: 16) }
    }

    /// True once `served` connections have closed or moved away.
    var isDone: Bool { closedConnections + moveOutcomes.count(where: { $0 == nil }) >= served }

    /// One pass: polls the context, echoes what fits, starts the moves; true if an event came or a byte moved.
    func runRound() -> Bool {
        let events = context.poll { handle($0, listener: listener) }
        let moved = open.reduce(0) { $0 + echo($1) }
        if let (target, foreign, afterBytes) = moveAway, echoedBytes >= afterBytes, let connection = open.first {
            moveAway = nil
            context.move(connection, to: context)
            context.move(connection, to: foreign)
            context.move(connection, to: target)
        }
        return events > 0 || moved > 0
    }

    /// After the last round: events the library decided itself are reported at the next poll; rejected entries are failures.
    func finish() {
        context.poll { handle($0, listener: listener) }
        if context.rejectedEntries > 0 { failures.append("rejected: \(context.rejectedEntries) entries") }
    }

    private func handle(_ event: ContextEvent, listener: Listener?) {
        switch event {
        case .listening:
            guard let listener else { return failures.append("listening without a listener") }
            for _ in 0..<served { _ = context.accept(on: listener) }
            isListening.raise()
        case .listenFailed(_, let error):
            failures.append("listen: \(error)")
        case .accepted(let connection):
            open.append(connection)
        case .acceptFailed(_, let error):
            failures.append("accept: \(error)")
        case .closed(let connection, _):
            open.removeAll { $0 === connection }
            closedConnections += 1
        case .moved(let connection):
            moveOutcomes.append(nil)
            open.removeAll { $0 === connection }
            context.move(connection, to: context)
        case .moveFailed(_, let error):
            moveOutcomes.append(error)
        case .movedIn(let connection):
            movedIn += 1
            open.append(connection)
        case .listenerClosed, .incomingConnection, .connected, .connectFailed, .received, .sendSpaceAvailable, .endOfStream:
            break
        }
    }

    /// Echoes what fits; closes when the stream ended and nothing is left. Returns bytes moved.
    private func echo(_ connection: Connection) -> Int {
        let space = context.reserveSendSpace(connection.unfreedByteCount, on: connection)
        let count = connection.unfreedBytes.copyBytes(to: space)
        if count > 0 {
            context.sendReserved(count, on: connection)
            context.freeReceivedBytes(count, of: connection)
            echoedBytes += count
        }
        if connection.hasStreamEnded && connection.unfreedByteCount == 0 && !connection.isClosing { context.close(connection) }
        return count
    }
}
