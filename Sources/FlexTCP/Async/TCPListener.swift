/// A listening port of a `FlexTCPStack`: an `AsyncSequence` of the connections made to it
/// (`for try await connection in listener`).
///
/// Contract: any task may iterate; each connection is yielded once, in the order they were
/// accepted. The sequence does not end by itself: iterating throws `stopped` once the stack's scope
/// ended and `cancelled` when the iterating task is cancelled. Dropping the last reference stops
/// handing out connections (those accepted meanwhile are closed); the port stays taken until the
/// stack stops.
public final class TCPListener: AsyncSequence, Sendable {
    public typealias Element = TCPConnection
    public typealias Failure = TCPError

    /// The local port.
    public let port: UInt16
    let driver: ContextDriver
    let key: UInt64

    init(driver: ContextDriver, key: UInt64, port: UInt16) {
        self.driver = driver
        self.key = key
        self.port = port
    }

    deinit { driver.submit(.releaseListener(key)) }

    public func makeAsyncIterator() -> Iterator { Iterator(listener: self) }

    /// Yields the listener's connections one by one.
    public struct Iterator: AsyncIteratorProtocol {
        let listener: TCPListener

        /// The next connection to the port (never nil).
        public mutating func next() async throws(TCPError) -> TCPConnection? {
            try await listener.accept()
        }

        /// The next connection to the port (never nil), waiting in the caller's isolation.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(TCPError) -> TCPConnection? {
            try await listener.accept()
        }
    }

    /// The next connection to the port.
    func accept() async throws(TCPError) -> TCPConnection {
        try await driver.perform { .accept(listener: key, $0) }
    }
}
