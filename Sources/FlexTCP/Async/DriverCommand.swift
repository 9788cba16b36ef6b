import FlexWire

/// An async caller's request to a `ContextDriver`, carried to the driving thread with the
/// continuation that receives its outcome.
enum DriverCommand: Sendable {
    case listen(port: UInt16, backlog: UInt32, CheckedContinuation<TCPListener, any Error>)
    case accept(listener: UInt64, CheckedContinuation<TCPConnection, any Error>)
    case connect(address: IPv4Address, port: UInt16, CheckedContinuation<TCPConnection, any Error>)
    case read(connection: UInt64, maximumCount: Int, CheckedContinuation<[UInt8], any Error>)
    case write(connection: UInt64, bytes: [UInt8], CheckedContinuation<Void, any Error>)
    case close(connection: UInt64, CheckedContinuation<Void, any Error>)
    /// The connection's handle is gone: forget it (closing the connection if it is still open).
    case release(connection: UInt64)

    /// Ends the command with `error` (when it cannot be carried out).
    func fail(_ error: TCPError) {
        switch self {
        case .listen(_, _, let continuation): continuation.resume(throwing: error)
        case .accept(_, let continuation), .connect(_, _, let continuation): continuation.resume(throwing: error)
        case .read(_, _, let continuation): continuation.resume(throwing: error)
        case .write(_, _, let continuation), .close(_, let continuation): continuation.resume(throwing: error)
        case .release: break
        }
    }
}
