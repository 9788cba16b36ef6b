import FlexTCP
import FlexTCPCore

/// A sink on a `Context`: reads every connection to its port to the end, hashing what arrives
/// straight from the receive ring, then closes it and reports `conn REMOTE_IP:PORT bytes=N sha256=HEX`.
///
/// Contract: call `step()` after each round of the context's runtime, on the context's thread; it
/// never blocks. `listenerStatus` tells whether the port could be opened. A connection whose stream
/// ends without the peer's FIN (reset, timeout) is counted in `failedConnections`, not reported.
public final class SinkService {
    private struct Stream {
        let connection: Connection
        var bytes: UInt64 = 0
        var hash = SHA256()
    }

    public let context: Context
    private let listener: AcceptingListener
    private var streams: [Stream] = []
    private var reports: [StreamReport] = []
    public private(set) var failedConnections = 0

    public init(context: Context, port: UInt16, backlog: UInt32 = 128) {
        self.context = context
        listener = AcceptingListener(context: context, port: port, backlog: backlog)
    }

    public var port: UInt16 { listener.port }
    /// The listen's outcome (nil: not answered yet).
    package var listenerStatus: SlowPathStatus? { listener.status }

    /// Polls the context, hashes what arrived, closes and reports finished streams; returns true if
    /// anything happened.
    @discardableResult
    public func step() -> Bool {
        let busy = context.poll { event in
            if let connection = listener.handle(event) { streams.append(Stream(connection: connection)) }
        } > 0
        var index = 0
        while index < streams.count {
            if serve(&streams[index]) { streams.remove(at: index) } else { index += 1 }
        }
        context.flush()
        return busy
    }

    /// Hashes and frees what arrived; at the end of the stream closes and reports it. Returns true when done with it.
    private func serve(_ stream: inout Stream) -> Bool {
        let connection = stream.connection
        let unfreed = connection.unfreedBytes
        if unfreed.count > 0 {
            stream.hash.update(UnsafeRawBufferPointer(unfreed.leadingPiece))
            stream.hash.update(UnsafeRawBufferPointer(unfreed.trailingPiece))
            stream.bytes &+= UInt64(unfreed.count)
            context.freeReceivedBytes(unfreed.count, of: connection)
        }
        guard connection.hasStreamEnded || !connection.isOpen else { return false }
        guard connection.hasPeerFinished else {
            failedConnections += 1
            return true
        }
        context.close(connection)
        reports.append(StreamReport(label: "\(connection.remoteAddress):\(connection.remotePort)", bytes: stream.bytes,
                                    sha256: stream.hash.hexDigest()))
        return true
    }

    /// Hands every stream finished since the last call to `body`, in order, and forgets them.
    public func drainReports(_ body: (StreamReport) -> Void) {
        let drained = reports
        reports.removeAll(keepingCapacity: true)
        for report in drained { body(report) }
    }
}
