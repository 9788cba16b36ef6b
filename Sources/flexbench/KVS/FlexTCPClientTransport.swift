import FlexTCP

/// `KVSClientTransport` on an embedded FlexTCP stack driven by the client's thread
/// (`Threading.applicationDriven`): one `Context`, requests copied into the send rings, replies
/// read from the receive rings and freed at once. `poll` busy-polls (one stack round and one
/// context poll per call; the timeout is not used), as the FlexTCP systems of `flexbench rpc` do.
///
/// Contract: `stack` is application-driven and polled only through this transport (or `drive`,
/// when given, runs a round of it and whatever else shares the thread); `init` opens
/// `count` connections to `address`:`port` (throws if one fails or they are not open within
/// `openingSeconds`). Bytes that do not fit the send ring wait in the connection's outbox.
final class FlexTCPClientTransport: KVSClientTransport {
    private let drive: () -> Void
    private let context: Context
    private var connections: [Connection] = []
    private var indexes: [ObjectIdentifier: Int] = [:]
    private var outboxes: [[UInt8]] = []
    /// Connections with received bytes this poll (reused).
    private var arrived: [Int] = []
    private var closedConnection = false

    init(stack: FlexTCPStack, address: IPv4Address, port: UInt16, count: Int, openingSeconds: Double = 5,
         drive: (() -> Void)? = nil) throws(KVSBenchmarkError) {
        self.drive = drive ?? { _ = stack.poll() }
        do {
            context = try stack.makeContext()
        } catch {
            throw KVSBenchmarkError("FlexTCP context: \(error)")
        }
        for index in 0..<count {
            let connection = context.connect(to: address, port: port)
            connections.append(connection)
            indexes[ObjectIdentifier(connection)] = index
        }
        outboxes = Array(repeating: [], count: count)
        var open = 0
        var failure: String?
        let deadline = MonotonicClock.now() + UInt64(openingSeconds * 1e9)
        while open < count && failure == nil {
            guard MonotonicClock.now() < deadline else { throw KVSBenchmarkError("FlexTCP connections did not open within \(openingSeconds) s") }
            context.flush()
            self.drive()
            _ = context.poll { event in
                switch event {
                case .connected: open += 1
                case .connectFailed(_, let error): failure = "\(error)"
                default: break
                }
            }
        }
        if let failure { throw KVSBenchmarkError("FlexTCP connect: \(failure)") }
    }

    var connectionCount: Int { connections.count }

    func send(_ bytes: [UInt8], on connection: Int) throws(KVSBenchmarkError) {
        outboxes[connection] += bytes
        drainOutbox(connection)
    }

    func poll(timeoutMilliseconds: Int32, _ body: (Int, UnsafeRawBufferPointer) -> Void) throws(KVSBenchmarkError) {
        context.flush()
        drive()
        _ = context.poll { event in
            switch event {
            case .received(let connection, _):
                if let index = indexes[ObjectIdentifier(connection)] { arrived.append(index) }
            case .sendSpaceAvailable(let connection):
                if let index = indexes[ObjectIdentifier(connection)] { drainOutbox(index) }
            case .endOfStream, .closed:
                closedConnection = true
            default:
                break
            }
        }
        guard !closedConnection else { throw KVSBenchmarkError("the server closed a connection") }
        for index in arrived {
            let connection = connections[index]
            let span = connection.unfreedBytes
            guard !span.isEmpty else { continue }
            span.withUnsafeBytes { leading, trailing in
                body(index, leading)
                if !trailing.isEmpty { body(index, trailing) }
            }
            context.freeReceivedBytes(span.count, of: connection)
        }
        arrived.removeAll(keepingCapacity: true)
    }

    /// Moves as much of the connection's outbox into its send ring as fits.
    private func drainOutbox(_ index: Int) {
        guard !outboxes[index].isEmpty else { return }
        let connection = connections[index]
        let space = context.reserveSendSpace(outboxes[index].count, on: connection)
        guard !space.isEmpty else { return }
        let copied = space.copyBytes(from: outboxes[index])
        context.sendReserved(copied, on: connection)
        outboxes[index].removeFirst(copied)
    }
}
