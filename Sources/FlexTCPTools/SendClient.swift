import FlexTCPCore
import FlexWire

/// Why a `SendClient` connection did not complete.
public enum SendFailure: Error, Equatable, Sendable {
    case connectionFailed(ConnectionAbortReason)
    /// The echo differed from what was sent at this byte offset.
    case echoMismatch(offset: UInt64)
    /// The peer closed before echoing every byte.
    case echoTruncated(received: UInt64)
}

/// The client of `flextcp send`: opens connections, sends `bytesPerConnection` bytes of a seeded
/// stream on each (connection `i` uses seed `seed + i`), then closes; with `verifiesEcho` it reads
/// the echo back and compares it byte for byte.
///
/// Contract: call `step(now:)` after each `Stack.poll` until `isFinished`. A connection completes
/// when every byte was sent and our FIN acknowledged (and, verifying, all bytes echoed back
/// identically and the peer closed). Anything the peer sends while not verifying is read and dropped.
public final class SendClient {
    private struct Sender {
        let index: Int
        let flow: FlowIndex
        var stream: SeededByteStream
        var expected: SeededByteStream
        var hash = SHA256()
        var sent: UInt64 = 0
        var echoed: UInt64 = 0
        var outcome: Result<StreamReport, SendFailure>?
    }

    public let stack: Stack
    public let bytesPerConnection: UInt64
    public let verifiesEcho: Bool
    private var senders: [Sender] = []
    private let scratch: UnsafeMutableRawBufferPointer
    private let comparison: UnsafeMutableRawBufferPointer

    public init(stack: Stack, to address: IPv4Address, port: UInt16, bytesPerConnection: UInt64, connections: Int, seed: UInt64,
                verifiesEcho: Bool, now: UInt64, scratchSize: Int = 64 * 1024) throws(StackError) {
        self.stack = stack
        self.bytesPerConnection = bytesPerConnection
        self.verifiesEcho = verifiesEcho
        scratch = .allocate(byteCount: scratchSize, alignment: 16)
        comparison = .allocate(byteCount: scratchSize, alignment: 16)
        for index in 0..<connections {
            let flow = try stack.connect(to: address, port: port, now: now)
            let stream = SeededByteStream(seed: seed &+ UInt64(index))
            senders.append(Sender(index: index, flow: flow, stream: stream, expected: stream))
        }
    }

    deinit {
        scratch.deallocate()
        comparison.deallocate()
    }

    /// True when every connection completed or failed.
    public var isFinished: Bool { senders.allSatisfy { $0.outcome != nil } }

    /// Each connection's report or failure, by connection number (nil: still running).
    public var outcomes: [Result<StreamReport, SendFailure>?] { senders.map(\.outcome) }

    /// Bytes sent so far over all connections.
    public var bytesSent: UInt64 { senders.reduce(0) { $0 &+ $1.sent } }

    public func step(now: UInt64) {
        for index in senders.indices where senders[index].outcome == nil { serve(&senders[index], now: now) }
    }

    private func serve(_ sender: inout Sender, now: UInt64) {
        let phase = stack.phase(of: sender.flow)
        if case .failed(let reason) = phase { return sender.outcome = .failure(.connectionFailed(reason)) }
        guard phase != .connecting else { return }
        send(&sender, now: now)
        if let failure = receive(&sender, now: now) { return sender.outcome = .failure(failure) }
        guard sender.sent == bytesPerConnection, finished(sender) else { return }
        var hash = sender.hash
        sender.outcome = .success(StreamReport(label: String(sender.index), bytes: sender.sent, sha256: hash.hexDigest()))
    }

    private func send(_ sender: inout Sender, now: UInt64) {
        let count = Int(min(UInt64(min(stack.writableBytes(on: sender.flow), scratch.count)), bytesPerConnection - sender.sent))
        if count > 0 {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<count])
            sender.stream.fill(chunk)
            sender.hash.update(UnsafeRawBufferPointer(chunk))
            sender.sent += UInt64(stack.write(to: sender.flow, from: UnsafeRawBufferPointer(chunk), now: now))
        }
        if sender.sent == bytesPerConnection, stack.phase(of: sender.flow) != .closed { stack.close(sender.flow, now: now) }
    }

    /// Reads what arrived, comparing it with the stream when verifying; returns a failure if any.
    private func receive(_ sender: inout Sender, now: UInt64) -> SendFailure? {
        while true {
            let count = stack.read(from: sender.flow, into: scratch, now: now)
            guard count > 0 else { break }
            guard verifiesEcho else { continue }
            let expected = UnsafeMutableRawBufferPointer(rebasing: comparison[0..<count])
            sender.expected.fill(expected)
            if let offset = (0..<count).first(where: { scratch[$0] != expected[$0] }) {
                return .echoMismatch(offset: sender.echoed + UInt64(offset))
            }
            sender.echoed += UInt64(count)
            if sender.echoed > bytesPerConnection { return .echoMismatch(offset: bytesPerConnection) }
        }
        if verifiesEcho && stack.isEndOfStream(sender.flow) && sender.echoed < bytesPerConnection {
            return .echoTruncated(received: sender.echoed)
        }
        return nil
    }

    /// Our FIN is acknowledged (and, verifying, the peer closed after echoing everything).
    private func finished(_ sender: Sender) -> Bool {
        let finAcknowledged = switch stack.slowPath.state(of: sender.flow) {
        case .finWait2, .timeWait: true
        case nil: stack.phase(of: sender.flow) == .closed
        default: false
        }
        return finAcknowledged && (!verifiesEcho || sender.echoed == bytesPerConnection)
    }
}
