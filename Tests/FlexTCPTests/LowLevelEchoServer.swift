import FlexTCP
import FlexTCPCore

/// An echo server written against the low-level API (dissertation A.4): it keeps `acceptsAhead`
/// accepts outstanding, copies every received byte from the receive ring into the transmit ring
/// as space allows, and closes a connection once the peer finished and everything is echoed.
/// It runs on its own thread until `served` connections have closed or the deadline passes.
final class LowLevelEchoServer {
    let context: Context
    let port: UInt16
    let served: Int
    /// Raised once the listener is open (clients connect after that).
    let isListening = SharedFlag()
    private(set) var closedConnections = 0
    private(set) var echoedBytes = 0
    private(set) var failures: [String] = []
    private var open: [Connection] = []

    init(attachment: ContextAttachment, port: UInt16, served: Int) throws {
        context = try Context(attachment: attachment)
        self.port = port
        self.served = served
    }

    func run(until deadline: Deadline) {
        let listener = context.openListener(port: port, backlog: 16)
        while closedConnections < served && !deadline.hasPassed {
            let events = context.poll { handle($0, listener: listener) }
            let moved = open.reduce(0) { $0 + echo($1) }
            if events == 0 && moved == 0 { _ = context.wait(timeoutNanoseconds: 50_000_000) }
        }
    }

    private func handle(_ event: ContextEvent, listener: Listener) {
        switch event {
        case .listenerOpened(_, let status):
            guard status == .success else { return failures.append("listen: \(status)") }
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
