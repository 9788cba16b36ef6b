import FlexTCP
import FlexTCPCore

/// A listener of a `Context` that accepts each connection the runtime announces (A.4 new_conn →
/// accept), for the servers of `flextcp echo` and `flextcp sink`.
///
/// Contract: hand it every event of its context (`handle`); it returns the connections accepted.
/// `status` is nil until the runtime answered the listen.
final class AcceptingListener {
    let port: UInt16
    private let context: Context
    private let listener: Listener
    var status: SlowPathStatus? { listener.status }

    init(context: Context, port: UInt16, backlog: UInt32 = 128) {
        self.context = context
        self.port = port
        listener = context.listen(on: port, backlog: Int(backlog))
    }

    /// Takes the listener's events; returns the connection an `accepted` event opened.
    func handle(_ event: ContextEvent) -> Connection? {
        switch event {
        case .incomingConnection(let waiting, _, _) where waiting === listener:
            _ = context.accept(on: listener)
        case .accepted(let connection):
            return connection
        default:
            break
        }
        return nil
    }
}

/// A service that listens on a port of its context (`EchoService`, `SinkService`), as the tools drive it.
package protocol ListeningService: AnyObject {
    /// The listen's outcome (nil: not answered yet).
    var listenerStatus: SlowPathStatus? { get }
    /// Polls the context and serves; returns true if anything happened.
    func step() -> Bool
}

extension EchoService: ListeningService {}
extension SinkService: ListeningService {}
