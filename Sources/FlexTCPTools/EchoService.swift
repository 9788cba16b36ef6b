import FlexTCP
import FlexTCPCore

/// An echo server on a `Context`: every connection to its port gets back each byte it sends
/// (copied from the receive ring straight into the transmit ring); when the peer has finished and
/// everything is echoed, the connection is closed. Any number of connections.
///
/// Contract: call `step()` after each round of the context's runtime, on the context's thread; it
/// polls the context, echoes what fits, and hands the counts over (`Context.flush`); it never
/// blocks. `listenerStatus` tells whether the port could be opened. Connections that fail are forgotten.
public final class EchoService {
    public let context: Context
    private let listener: AcceptingListener
    private var open: [Connection] = []
    public private(set) var bytesEchoed: UInt64 = 0
    public private(set) var connectionsServed = 0

    public init(context: Context, port: UInt16, backlog: UInt32 = 128) {
        self.context = context
        listener = AcceptingListener(context: context, port: port, backlog: backlog)
    }

    public var port: UInt16 { listener.port }
    /// The listen's outcome (nil: not answered yet).
    package var listenerStatus: SlowPathStatus? { listener.status }
    /// Connections currently being served.
    public var activeConnections: Int { open.count }

    /// Polls the context and echoes; returns true if anything happened.
    @discardableResult
    public func step() -> Bool {
        var busy = context.poll { event in
            if let connection = listener.handle(event) { open.append(connection) }
            if case .closed(let connection, _) = event { open.removeAll { $0 === connection } }
        } > 0
        open.removeAll { connection in
            let space = context.reserveSendSpace(connection.unfreedByteCount, on: connection)
            if space.count > 0 {
                _ = connection.unfreedBytes.copyBytes(to: space)
                context.sendReserved(space.count, on: connection)
                context.freeReceivedBytes(space.count, of: connection)
                bytesEchoed &+= UInt64(space.count)
                busy = true
            }
            // Only after the peer's FIN (a reset ends the stream too; its connection is just forgotten).
            guard connection.hasPeerFinished, connection.unfreedByteCount == 0 else { return false }
            context.close(connection)
            connectionsServed += 1
            return true
        }
        context.flush()
        return busy
    }
}
