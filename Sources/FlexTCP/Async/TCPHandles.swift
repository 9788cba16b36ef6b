import FlexWire

/// A listening port of a `ContextDriver`, for async callers.
///
/// Contract: any task may call `accept`; accepts complete in the order they were made.
public final class TCPListener: Sendable {
    public let port: UInt16
    let driver: ContextDriver
    let key: UInt64

    init(driver: ContextDriver, key: UInt64, port: UInt16) {
        self.driver = driver
        self.key = key
        self.port = port
    }

    /// The next connection to the port.
    public func accept() async throws -> TCPConnection {
        try await withCheckedThrowingContinuation { driver.submit(.accept(listener: key, $0)) }
    }
}

/// A connection of a `ContextDriver`, for async callers: a byte stream each way.
///
/// Contract: reads complete in the order they were made, as do writes. `read` returns at least one
/// byte, or none at the end of the stream. `write` returns once every byte is in the transmit ring
/// (not yet acknowledged). `close` returns once the FIN is queued after the bytes written before it.
/// Once the connection has ended, reads return no bytes (after an orderly close) or throw, and
/// writes throw. Dropping the last reference closes the connection if it is still open.
public final class TCPConnection: Sendable {
    public let remoteAddress: IPv4Address
    public let remotePort: UInt16
    public let localPort: UInt16
    let driver: ContextDriver
    let key: UInt64

    init(driver: ContextDriver, key: UInt64, remoteAddress: IPv4Address, remotePort: UInt16, localPort: UInt16) {
        self.driver = driver
        self.key = key
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.localPort = localPort
    }

    deinit { driver.submit(.release(connection: key)) }

    /// Up to `maximumCount` received bytes (at least one), or none once the peer has finished.
    public func read(maximumCount: Int = 65_536) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { driver.submit(.read(connection: key, maximumCount: max(1, maximumCount), $0)) }
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { driver.submit(.write(connection: key, bytes: bytes, $0)) }
    }

    /// Closes our direction after the bytes already written.
    public func close() async throws {
        try await withCheckedThrowingContinuation { driver.submit(.close(connection: key, $0)) }
    }
}
