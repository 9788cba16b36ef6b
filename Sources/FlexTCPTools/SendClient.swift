import FlexTCP
import FlexTCPCore
import FlexWire

/// Why a `SendClient` connection did not complete.
public enum SendFailure: Error, Equatable, Sendable {
    /// The connection could not be opened (refused, unreachable, timed out, no flow slot).
    case connectFailed(TCPError)
    /// The connection was torn down (reset, timeout; nil: closed in order) before it completed.
    case connectionLost(TCPError?)
    /// The echo differed from what was sent at this byte offset.
    case echoMismatch(offset: UInt64)
    /// The peer closed before echoing every byte.
    case echoTruncated(received: UInt64)
}

extension SendFailure: CustomStringConvertible {
    /// What happened, in words that point at the fix where there is one.
    public var description: String {
        switch self {
        case .connectFailed(.refused): "connection refused (nothing listens on that address and port?)"
        case .connectFailed(.unreachable): "destination unreachable (no ARP answer: check the address, --gateway and the cable)"
        case .connectFailed(.timedOut): "connect timed out (no answer to our SYNs)"
        case .connectFailed(.resourcesExhausted): "no free connection slot (raise --connection-capacity)"
        case .connectFailed(let error): "could not connect: \(error)"
        case .connectionLost(let error): "connection lost before the end: \(error.map { $0 == .reset ? "reset by the peer" : "\($0)" } ?? "closed")"
        case .echoMismatch(let offset): "the echo differs from what was sent at byte \(offset)"
        case .echoTruncated(let received): "the peer closed after echoing only \(received) bytes"
        }
    }
}

/// The client of `flextcp send` on a `Context`: opens connections, writes `bytesPerConnection`
/// bytes of a seeded stream on each straight into its transmit ring (connection `i` uses seed
/// `seed + i`), then closes; with `verifiesEcho` it reads the echo back from the receive ring and
/// compares it byte for byte.
///
/// Contract: call `step()` after each round of the context's runtime, on the context's thread,
/// until `isFinished`. A connection completes when every byte was sent and acknowledged and our
/// close requested (and, verifying, every byte echoed back identically and the peer finished);
/// `isClosed` once the runtime is also done with every connection (both FINs acknowledged, or
/// failed). Anything the peer sends while not verifying is freed unread.
public final class SendClient {
    private struct Sender {
        let index: Int
        let connection: Connection
        var stream: SentStream
        var echo: EchoCheck
        var opened = false
        var closed = false
        var outcome: Result<StreamReport, SendFailure>?
    }

    public let context: Context
    public let bytesPerConnection: UInt64
    public let verifiesEcho: Bool
    private var senders: [Sender] = []

    public init(context: Context, to address: IPv4Address, port: UInt16, bytesPerConnection: UInt64, connections: Int, seed: UInt64,
                verifiesEcho: Bool) {
        self.context = context
        self.bytesPerConnection = bytesPerConnection
        self.verifiesEcho = verifiesEcho
        for index in 0..<connections {
            let streamSeed = seed &+ UInt64(index)
            senders.append(Sender(index: index, connection: context.connect(to: address, port: port),
                                  stream: SentStream(seed: streamSeed, length: bytesPerConnection),
                                  echo: EchoCheck(seed: streamSeed, length: bytesPerConnection)))
        }
    }

    /// True when every connection completed or failed.
    public var isFinished: Bool { senders.allSatisfy { $0.outcome != nil } }

    /// True when the runtime is done with every connection as well.
    public var isClosed: Bool { senders.allSatisfy(\.closed) }

    /// Each connection's report or failure, by connection number (nil: still running).
    public var outcomes: [Result<StreamReport, SendFailure>?] { senders.map(\.outcome) }

    /// Bytes sent so far over all connections.
    public var bytesSent: UInt64 { senders.reduce(0) { $0 &+ $1.stream.sent } }

    /// Polls the context, sends, reads and checks; returns true if anything happened.
    @discardableResult
    public func step() -> Bool {
        var busy = context.poll { handle($0) } > 0
        for index in senders.indices where senders[index].opened && senders[index].outcome == nil {
            if serve(&senders[index]) { busy = true }
        }
        context.flush()
        return busy
    }

    private func handle(_ event: ContextEvent) {
        switch event {
        case .connected(let connection):
            guard let index = senders.firstIndex(where: { $0.connection === connection }) else { return }
            senders[index].opened = true
        case .connectFailed(let connection, let error):
            guard let index = senders.firstIndex(where: { $0.connection === connection }) else { return }
            senders[index].closed = true
            senders[index].outcome = .failure(.connectFailed(error))
        case .closed(let connection, let reason):
            guard let index = senders.firstIndex(where: { $0.connection === connection }) else { return }
            senders[index].closed = true
            if senders[index].outcome == nil {
                _ = serve(&senders[index])
                if senders[index].outcome == nil { senders[index].outcome = .failure(.connectionLost(reason)) }
            }
        default:
            break
        }
    }

    /// Writes what fits, closes after the last byte, takes what arrived; settles the outcome when
    /// the connection completed or failed. Returns true if bytes moved.
    private func serve(_ sender: inout Sender) -> Bool {
        let connection = sender.connection
        var moved = 0
        if sender.stream.remaining > 0 {
            let space = context.reserveSendSpace(Int(clamping: sender.stream.remaining), on: connection)
            let written = sender.stream.fill(space.leadingPiece) + sender.stream.fill(space.trailingPiece)
            moved += context.sendReserved(written, on: connection)
        }
        if sender.stream.remaining == 0 && !connection.isClosing { context.close(connection) }
        let unfreed = connection.unfreedBytes
        if unfreed.count > 0 {
            if verifiesEcho, let failure = sender.echo.check(UnsafeRawBufferPointer(unfreed.leadingPiece))
                ?? sender.echo.check(UnsafeRawBufferPointer(unfreed.trailingPiece)) {
                sender.outcome = .failure(failure)
            }
            moved += context.freeReceivedBytes(unfreed.count, of: connection)
        }
        guard sender.outcome == nil else { return moved > 0 }
        if verifiesEcho && connection.hasStreamEnded && !sender.echo.isComplete {
            sender.outcome = .failure(.echoTruncated(received: sender.echo.echoed))
        } else if sender.stream.remaining == 0 && connection.isClosing && connection.unacknowledgedByteCount == 0
                    && (!verifiesEcho || connection.hasPeerFinished) {
            sender.outcome = .success(sender.stream.report(label: String(sender.index)))
        }
        return moved > 0
    }
}
