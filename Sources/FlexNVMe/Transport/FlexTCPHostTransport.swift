import FlexPort
import FlexTCP
import FlexWire

/// The host on FlexTCP: every queue a connection of one low-level `Context` of a running
/// `FlexTCPStack` (run by the host's thread when it is application-driven), read data placed from
/// the receive ring straight into the caller's buffers.
///
/// Contract: used by one thread (the host's).
public final class FlexTCPHostTransport: HostTransport {
    private let streams: ContextStreams<HostQueue>
    private let address: IPv4Address
    private let port: UInt16
    private var connections: [ObjectIdentifier: Connection] = [:]
    private let connectTimeout: Duration
    /// Work this thread does beside the host in every pump (e.g. an in-process target's serving
    /// round, `FlexTCPTargetService.step`), returning whether it did anything. With it, the host
    /// never sleeps: the thread keeps polling both.
    public var sharedThreadWork: (() -> Bool)?

    /// Connections from `context` to `address`:`port`. Given the context's `stack`, which must be
    /// application-driven (`FlexTCPStack.Threading.applicationDriven`), the host's thread runs it.
    public init(context: Context, address: IPv4Address, port: UInt16, connectTimeout: Duration = .seconds(5),
                driving stack: FlexTCPStack? = nil) {
        streams = ContextStreams(context: context, driving: stack)
        self.address = address
        self.port = port
        self.connectTimeout = connectTimeout
    }

    public func open(_ queue: HostQueue) throws(HostError) {
        let context = streams.context
        let connection = context.connect(to: address, port: port)
        var outcome: Result<Void, HostError>?
        let deadline = ContinuousClock.now + connectTimeout
        while outcome == nil {
            guard ContinuousClock.now < deadline else { throw .timedOut }
            let stackBusy = streams.driveStack()
            dispatch { event in
                switch event {
                case .connected(let opened) where opened === connection: outcome = .success(())
                case .connectFailed(let failed, let error) where failed === connection: outcome = .failure(.connection("\(error)"))
                default: break
                }
            }
            if let sharedThreadWork {
                _ = sharedThreadWork()
            } else if outcome == nil && !stackBusy {
                streams.wait(timeout: .milliseconds(10))
            }
        }
        try outcome!.get()
        connections[ObjectIdentifier(queue)] = connection
        streams.attach(connection, to: queue)
    }

    public func pump(timeoutMilliseconds: Int32) throws(HostError) {
        let stackBusy = streams.driveStack()
        dispatch { _ in }
        if let sharedThreadWork {
            streams.service()
            _ = sharedThreadWork()
            return
        }
        if !streams.service() && !stackBusy {
            streams.wait(timeout: .milliseconds(Int(timeoutMilliseconds)))
            _ = streams.driveStack()
            dispatch { _ in }
            streams.service()
        }
    }

    public func close(_ queue: HostQueue) {
        guard let connection = connections.removeValue(forKey: ObjectIdentifier(queue)) else { return }
        streams.context.close(connection)
        streams.ended(connection)
        streams.context.flush()
        _ = streams.driveStack()
    }

    /// Polls the context: closed connections end their queues; other events go to `body`.
    @discardableResult
    private func dispatch(_ body: (ContextEvent) -> Void) -> Int {
        streams.context.poll { event in
            if case .closed(let connection, _) = event { streams.ended(connection) }
            body(event)
        }
    }
}
