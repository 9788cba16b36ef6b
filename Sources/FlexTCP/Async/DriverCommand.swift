import FlexWire

/// One async operation waiting for the driver: its name for cancellation and the continuation
/// that receives its outcome.
struct PendingOperation<Value>: Sendable {
    let id: UInt64
    let continuation: CheckedContinuation<Result<Value, TCPError>, Never>

    func succeed(_ value: sending Value) { continuation.resume(returning: .success(value)) }
    func fail(_ error: TCPError) { continuation.resume(returning: .failure(error)) }
}

/// An async caller's request to a `ContextDriver`, carried to the driving thread.
enum DriverCommand: Sendable {
    case listen(port: UInt16, backlog: Int, PendingOperation<TCPListener>)
    case accept(listener: UInt64, PendingOperation<TCPConnection>)
    case connect(address: IPv4Address, port: UInt16, PendingOperation<TCPConnection>)
    /// The previous chunk is done with; the next one, or nil at the end of the stream.
    case receive(connection: UInt64, PendingOperation<TCPConnection.Chunk?>)
    case write(connection: UInt64, any ByteSource, PendingOperation<Void>)
    case close(connection: UInt64, PendingOperation<Void>)
    /// Stop listening; done once the stack reports the listener closed.
    case closeListener(listener: UInt64, PendingOperation<Void>)
    /// The connection's handle is gone: forget it (closing the connection if it is still open).
    case releaseConnection(UInt64)
    /// The listener's handle is gone: it is closed (if it is not yet), and so are the connections accepted for it.
    case releaseListener(UInt64)
    /// The task waiting for operation `id` was cancelled: end it with `cancelled` if it still waits.
    case cancel(UInt64)

    /// Ends the command with `error` (when it cannot be carried out).
    func fail(_ error: TCPError) {
        switch self {
        case .listen(_, _, let operation): operation.fail(error)
        case .accept(_, let operation), .connect(_, _, let operation): operation.fail(error)
        case .receive(_, let operation): operation.fail(error)
        case .write(_, _, let operation), .close(_, let operation), .closeListener(_, let operation): operation.fail(error)
        case .releaseConnection, .releaseListener, .cancel: break
        }
    }
}

/// Bytes an async `write` hands to the driver, copied into transmit rings piece by piece.
protocol ByteSource: AnyObject, Sendable {
    /// Bytes not yet copied.
    var remaining: Int { get }
    /// Copies the next bytes into `span` (as many as fit); returns how many.
    func write(into span: RingSpan) -> Int
}

/// A collection's bytes for `write`: contiguous storage is copied in one or two moves per span,
/// other collections element by element; nothing is copied anywhere but into the ring.
final class CollectionSource<Bytes: Collection<UInt8>>: ByteSource, @unchecked Sendable {
    // Sendable: the writing task is suspended until the driver is done with the bytes, and only
    // the driver's thread touches this object meanwhile.
    private let bytes: Bytes
    private var index: Bytes.Index
    private var offset = 0
    private(set) var remaining: Int

    init(_ bytes: Bytes) {
        self.bytes = bytes
        index = bytes.startIndex
        remaining = bytes.count
    }

    func write(into span: RingSpan) -> Int {
        let count = min(span.count, remaining)
        guard count > 0 else { return 0 }
        let start = offset
        let copied = bytes.withContiguousStorageIfAvailable {
            span.copyBytes(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: $0[start ..< start + count])))
        } ?? copyElements(count, into: span)
        offset += copied
        remaining -= copied
        return copied
    }

    private func copyElements(_ count: Int, into span: RingSpan) -> Int {
        let end = bytes.index(index, offsetBy: count)
        defer { index = end }
        return span.copyBytes(from: bytes[index ..< end])
    }
}
