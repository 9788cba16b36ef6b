/// One connection's side of a workload, independent of the transport that carries its bytes. Every
/// system drives sessions with the same calls, so FlexTCP and Linux run the same workload code.
///
/// Contract for a transport, per connection:
/// 1. `opened(now:)` once, when the connection is established;
/// 2. whenever bytes can be read: read at most `receiveLimit` bytes and hand them to
///    `received(_:now:)` (all of them);
/// 3. whenever `pending` is not empty: send from its front and report the count with
///    `sent(_:now:)`;
/// 4. on the peer's end of stream: `peerFinished()`;
/// 5. close the connection once `shouldClose` is true (churn clients then open a new one).
/// Sessions record into their endpoint's `metrics`; they allocate only in `init`.
public final class Session {
    enum Behaviour {
        /// Echoes every byte; counts messages (echo and churn servers).
        case echoServer
        /// Receives and checks messages (one-way servers, bulk servers, server-send clients).
        case sink
        /// Streams messages as fast as the transport takes them.
        case stream
        /// Keeps `pipeline` requests in flight and times each round trip.
        case echoClient
        /// One request per connection, timed from connection start; then closes.
        case churnClient
    }

    let behaviour: Behaviour
    let endpoint: WorkloadEndpoint
    let output: OutputBuffer
    private var assembler: MessageAssembler
    // Copies of the assembler's framing: the assembler is being modified while its callbacks run.
    private let messageSize: Int
    private let stamp: MessageStamp
    private let startTime: UInt64
    private let sendTimes: UnsafeMutablePointer<UInt64>
    private let pipeline: Int
    private let delayCycles: UInt64
    private let streamBacklog: Int
    private var nextSequence: UInt64 = 0
    private var expectedSequence: UInt64 = 0
    private var done = false
    private var peerDone = false

    init(behaviour: Behaviour, endpoint: WorkloadEndpoint, now: UInt64) {
        let spec = endpoint.spec
        self.behaviour = behaviour
        self.endpoint = endpoint
        startTime = now
        pipeline = spec.pipeline
        delayCycles = endpoint.role == .server ? spec.delayCycles : 0
        assembler = MessageAssembler(messageSize: spec.size)
        messageSize = spec.size
        stamp = MessageStamp(messageSize: spec.size)
        streamBacklog = max(spec.pipeline * spec.size, 64 * 1024 / spec.size * spec.size, spec.size)
        let outputCapacity: Int
        switch behaviour {
        case .echoServer, .echoClient: outputCapacity = spec.pipeline * spec.size
        case .churnClient: outputCapacity = spec.size
        case .stream: outputCapacity = streamBacklog + spec.size
        case .sink: outputCapacity = 0
        }
        output = OutputBuffer(capacity: outputCapacity)
        sendTimes = .allocate(capacity: behaviour == .echoClient ? spec.pipeline : 1)
    }

    deinit { sendTimes.deallocate() }

    /// The connection is established: clients send their first requests, streams start.
    public func opened(now: UInt64) {
        switch behaviour {
        case .echoClient: for _ in 0..<pipeline { issueRequest(now: now) }
        case .churnClient: issueRequest(now: now)
        case .stream: refillStream()
        case .echoServer, .sink: break
        }
    }

    /// How many bytes the session takes now (an echo server only as many as it has room to echo).
    public var receiveLimit: Int { behaviour == .echoServer ? output.freeSpace : Int.max }

    /// Bytes to send next, oldest first (empty: nothing to send).
    public var pending: UnsafeRawBufferPointer { output.pending }

    /// Consumes bytes read from the connection (at most `receiveLimit`).
    public func received(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        endpoint.metrics.bytes &+= UInt64(bytes.count)
        switch behaviour {
        case .echoServer:
            if let base = bytes.baseAddress, bytes.count > 0 {
                output.reserve(bytes.count).copyMemory(from: base, byteCount: bytes.count)
                output.commit(bytes.count)
            }
            assembler.consume(bytes) { _ in completeServerMessage() }
        case .sink:
            assembler.consume(bytes) { stamp in
                checkStamp(stamp)
                if endpoint.role == .server { completeServerMessage() } else { endpoint.metrics.messages &+= 1 }
            }
        case .echoClient:
            assembler.consume(bytes) { stamp in
                let sent = sendTimes[Int(expectedSequence % UInt64(pipeline))]
                checkStamp(stamp)
                endpoint.metrics.latency.record(nanoseconds: now &- sent)
                endpoint.metrics.messages &+= 1
                issueRequest(now: now)
            }
        case .churnClient:
            assembler.consume(bytes) { stamp in
                checkStamp(stamp)
                endpoint.metrics.latency.record(nanoseconds: now &- startTime)
                endpoint.metrics.messages &+= 1
                done = true
            }
        case .stream:
            // A streaming side expects nothing back.
            endpoint.metrics.errors &+= 1
        }
    }

    /// The transport sent the first `count` bytes of `pending`.
    public func sent(_ count: Int, now: UInt64) {
        output.consume(count)
        if behaviour == .stream { refillStream() }
    }

    /// The peer closed its direction. Servers close in turn; for a client mid-workload it is an error.
    public func peerFinished() {
        if endpoint.role == .client && !done { endpoint.metrics.errors &+= 1 }
        peerDone = true
    }

    /// Whether the transport should close the connection now.
    public var shouldClose: Bool { done || peerDone }

    private func issueRequest(now: UInt64) {
        guard endpoint.issuesRequests else { return }
        let destination = output.reserve(messageSize)
        stamp.write(nextSequence, to: destination)
        output.commit(messageSize)
        if behaviour == .echoClient { sendTimes[Int(nextSequence % UInt64(pipeline))] = now }
        nextSequence &+= 1
    }

    private func refillStream() {
        while output.count < streamBacklog {
            CycleDelay.spin(delayCycles)
            let destination = output.reserve(messageSize)
            stamp.write(nextSequence, to: destination)
            output.commit(messageSize)
            nextSequence &+= 1
        }
    }

    private func completeServerMessage() {
        CycleDelay.spin(delayCycles)
        endpoint.metrics.messages &+= 1
    }

    private func checkStamp(_ received: UInt64) {
        if !stamp.matches(received, sequence: expectedSequence) { endpoint.metrics.errors &+= 1 }
        expectedSequence &+= 1
    }
}

/// One side (server or client) of a workload on one worker thread: makes the session for each
/// connection and holds the counts all its sessions record.
public final class WorkloadEndpoint {
    public let spec: WorkloadSpec
    public let role: WorkerRole
    public var metrics = EndpointMetrics()
    /// False: clients send no further requests (an interleaved run going idle to measure empty passes).
    public var issuesRequests = true

    public init(spec: WorkloadSpec, role: WorkerRole) {
        self.spec = spec
        self.role = role
    }

    /// Whether a client opens a new connection when one closes (connection churn).
    public var reconnects: Bool { role == .client && spec.workload == .churn }

    /// The session for a new connection (`now`: when the connection was initiated or accepted).
    public func makeSession(now: UInt64) -> Session {
        Session(behaviour: behaviour, endpoint: self, now: now)
    }

    private var behaviour: Session.Behaviour {
        switch (spec.workload, role) {
        case (.echo, .server), (.churn, .server): .echoServer
        case (.echo, .client): .echoClient
        case (.churn, .client): .churnClient
        case (.serverReceive, .server), (.bulk, .server), (.serverSend, .client): .sink
        case (.serverReceive, .client), (.bulk, .client), (.serverSend, .server): .stream
        }
    }
}
