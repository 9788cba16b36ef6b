import FlexTCP
import FlexTCPCore

/// A listener of a `Context` that keeps `acceptsAhead` accepts outstanding, so connections are
/// taken as they arrive (the servers of `flextcp echo` and `flextcp sink`).
///
/// Contract: hand it every `listenerOpened` and `accepted` event of its context (`handle`); it
/// returns the accepted connections. `status` is nil until the runtime answered the listen.
final class AcceptingListener {
    let port: UInt16
    private let context: Context
    private let listener: Listener
    private let acceptsAhead: Int
    private var outstanding = 0
    private(set) var status: SlowPathStatus?

    init(context: Context, port: UInt16, acceptsAhead: Int) {
        self.context = context
        self.port = port
        self.acceptsAhead = max(1, acceptsAhead)
        listener = context.openListener(port: port, backlog: UInt32(max(128, acceptsAhead)))
    }

    /// Takes the listener's events; returns the connection an `accepted` event opened.
    func handle(_ event: ContextEvent) -> Connection? {
        switch event {
        case .listenerOpened(let opened, let status) where opened === listener:
            self.status = status
            refill()
        case .accepted(let connection, let status):
            outstanding -= 1
            refill()
            if status == .success { return connection }
        default:
            break
        }
        return nil
    }

    private func refill() {
        while outstanding < acceptsAhead, context.accept(on: listener) != nil { outstanding += 1 }
    }
}

/// A service that listens on a port of its context (`EchoService`, `SinkService`), as the tools drive it.
public protocol ListeningService: AnyObject {
    /// The listen's outcome (nil: not answered yet).
    var listenerStatus: SlowPathStatus? { get }
    /// Polls the context and serves; returns true if anything happened.
    func step() -> Bool
}

extension EchoService: ListeningService {}
extension SinkService: ListeningService {}
