import FlexTCPCore
import FlexTCPTools
import FlexWire

// The stack's embedded application API (`Stack+Application`: flow indexes, bytes copied in and out
// of the rings, run to completion) exercised the way the tools use the library: an echo server, a
// sink and a seeded sender on a `Stack`. Call `step(now:)` after each `Stack.poll`; never blocks.

/// What the services on a listening port share: the stack, the port (listened on from `init`), a
/// scratch buffer to copy bytes through, and taking the connections that wait on the port.
class StackListeningService {
    let stack: Stack
    let port: UInt16
    let scratch: UnsafeMutableRawBufferPointer

    init(stack: Stack, port: UInt16, scratchSize: Int = 64 * 1024) throws(StackError) {
        self.stack = stack
        self.port = port
        scratch = .allocate(byteCount: scratchSize, alignment: 16)
        try stack.listen(port: port)
    }

    deinit { scratch.deallocate() }

    /// Hands every connection waiting on the port to `body`, oldest first.
    func acceptWaiting(_ body: (FlowIndex) -> Void) {
        while let flow = stack.accept(port: port) { body(flow) }
    }
}

/// Echoes every byte of every connection to `port`; closes a connection once the peer finished and
/// everything is echoed. Connections that fail are forgotten.
final class StackEchoServer: StackListeningService {
    private var flows: [FlowIndex] = []
    private(set) var bytesEchoed: UInt64 = 0
    private(set) var connectionsServed = 0

    func step(now: UInt64) {
        acceptWaiting { flows.append($0) }
        flows.removeAll { flow in
            if case .failed = stack.phase(of: flow) { return true }
            let count = min(stack.readableBytes(on: flow), stack.writableBytes(on: flow), scratch.count)
            if count > 0 {
                let slice = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<count])
                _ = stack.read(from: flow, into: slice, now: now)
                _ = stack.write(to: flow, from: UnsafeRawBufferPointer(slice), now: now)
                bytesEchoed &+= UInt64(count)
            }
            guard stack.isEndOfStream(flow) else { return false }
            stack.close(flow, now: now)
            connectionsServed += 1
            return true
        }
    }
}

/// Reads every connection to `port` to its end, hashing it; then closes it and reports it
/// (`REMOTE_IP:PORT`, bytes, SHA-256). Connections that fail before their end are counted.
final class StackSink: StackListeningService {
    private struct Stream {
        let flow: FlowIndex
        let label: String
        var bytes: UInt64 = 0
        var hash = SHA256()
    }

    private var streams: [Stream] = []
    private(set) var reports: [StreamReport] = []
    private(set) var failedConnections = 0

    func step(now: UInt64) {
        acceptWaiting { flow in
            let remote = stack.fastPath.state(of: flow).map { "\($0.remoteAddress):\($0.remotePort)" } ?? "?"
            streams.append(Stream(flow: flow, label: remote))
        }
        var index = 0
        while index < streams.count {
            if serve(&streams[index], now: now) { streams.remove(at: index) } else { index += 1 }
        }
    }

    private func serve(_ stream: inout Stream, now: UInt64) -> Bool {
        if case .failed = stack.phase(of: stream.flow) {
            failedConnections += 1
            return true
        }
        while true {
            let count = stack.read(from: stream.flow, into: scratch, now: now)
            guard count > 0 else { break }
            stream.hash.update(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            stream.bytes &+= UInt64(count)
        }
        guard stack.isEndOfStream(stream.flow) else { return false }
        stack.close(stream.flow, now: now)
        reports.append(StreamReport(label: stream.label, bytes: stream.bytes, sha256: stream.hash.hexDigest()))
        return true
    }
}

/// Opens `connections` connections, sends `bytesPerConnection` bytes of the seeded stream of
/// `seed + i` on connection `i`, closes; with `verifiesEcho` checks the echo byte for byte. A
/// connection completes when every byte was sent and our FIN acknowledged (and, verifying, every
/// byte came back). Anything the peer sends while not verifying is read and dropped.
final class StackSendClient {
    private struct Sender {
        let index: Int
        let flow: FlowIndex
        var stream: SentStream
        var echo: EchoCheck
        var outcome: Result<StreamReport, SendFailure>?
    }

    let stack: Stack
    let verifiesEcho: Bool
    private var senders: [Sender] = []
    private let scratch: UnsafeMutableRawBufferPointer

    init(stack: Stack, to address: IPv4Address, port: UInt16, bytesPerConnection: UInt64, connections: Int, seed: UInt64,
         verifiesEcho: Bool, now: UInt64, scratchSize: Int = 64 * 1024) throws(StackError) {
        self.stack = stack
        self.verifiesEcho = verifiesEcho
        scratch = .allocate(byteCount: scratchSize, alignment: 16)
        for index in 0..<connections {
            let flow = try stack.connect(to: address, port: port, now: now)
            senders.append(Sender(index: index, flow: flow, stream: SentStream(seed: seed &+ UInt64(index), length: bytesPerConnection),
                                  echo: EchoCheck(seed: seed &+ UInt64(index), length: bytesPerConnection)))
        }
    }

    deinit { scratch.deallocate() }

    var isFinished: Bool { senders.allSatisfy { $0.outcome != nil } }
    var outcomes: [Result<StreamReport, SendFailure>?] { senders.map(\.outcome) }

    func step(now: UInt64) {
        for index in senders.indices where senders[index].outcome == nil { serve(&senders[index], now: now) }
    }

    /// The failure a slow-path abort reason stands for, in the tools' terms.
    static func failure(_ reason: ConnectionAbortReason) -> SendFailure {
        switch reason {
        case .resetByPeer: .connectionLost(.reset)
        case .timedOut: .connectionLost(.timedOut)
        case .noRoute: .connectFailed(.unreachable)
        case .outOfResources: .connectFailed(.resourcesExhausted)
        case .listenerClosed, .applicationDetached: .connectionLost(.reset)
        }
    }

    private func serve(_ sender: inout Sender, now: UInt64) {
        let phase = stack.phase(of: sender.flow)
        if case .failed(let reason) = phase { return sender.outcome = .failure(Self.failure(reason)) }
        guard phase != .connecting else { return }
        let room = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<min(stack.writableBytes(on: sender.flow), scratch.count)])
        let count = sender.stream.fill(room)
        // The stack takes everything `writableBytes` promised.
        if count > 0 { _ = stack.write(to: sender.flow, from: UnsafeRawBufferPointer(rebasing: room[0..<count]), now: now) }
        if sender.stream.remaining == 0, stack.phase(of: sender.flow) != .closed { stack.close(sender.flow, now: now) }
        while true {
            let received = stack.read(from: sender.flow, into: scratch, now: now)
            guard received > 0 else { break }
            guard verifiesEcho else { continue }
            if let failure = sender.echo.check(UnsafeRawBufferPointer(rebasing: scratch[0..<received])) { return sender.outcome = .failure(failure) }
        }
        if verifiesEcho && stack.isEndOfStream(sender.flow) && !sender.echo.isComplete {
            return sender.outcome = .failure(.echoTruncated(received: sender.echo.echoed))
        }
        let finAcknowledged = switch stack.slowPath.state(of: sender.flow) {
        case .finWait2, .timeWait: true
        case nil: stack.phase(of: sender.flow) == .closed
        default: false
        }
        guard sender.stream.remaining == 0, finAcknowledged, !verifiesEcho || sender.echo.isComplete else { return }
        sender.outcome = .success(sender.stream.report(label: String(sender.index)))
    }
}
