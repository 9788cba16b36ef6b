/// A listening port of a `FlexTCPStack`: an `AsyncSequence` of the connections made to it
/// (`for try await connection in listener`).
///
/// Contract: any task may iterate; each connection is yielded once, in the order they were
/// accepted. The sequence does not end by itself: iterating throws `closed` after `close()`,
/// `stopped` once the stack's scope ended and `cancelled` when the iterating task is cancelled.
/// Dropping the last reference closes the listener as `close()` does (without waiting): the port
/// is freed and connections not yet handed out are closed.
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

    /// Stops listening: once it returns, the port is free for another `listen`. Connections not
    /// yet handed out are closed (those still waiting in the stack are reset) and waiting or later
    /// iterations throw `closed`. Throws `closed` when called twice.
    public func close() async throws(TCPError) {
        try await driver.perform { .closeListener(listener: key, $0) }
    }

    /// The next connection to the port.
    func accept() async throws(TCPError) -> TCPConnection {
        try await driver.perform { .accept(listener: key, $0) }
    }
}
