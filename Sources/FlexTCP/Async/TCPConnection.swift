/// A TCP connection of a `FlexTCPStack`: bytes in as an `AsyncSequence` of chunks (`inbound`),
/// bytes out with `write`, and `close`.
///
/// Contract: any task may use it. Writes complete in the order they were made; `write` returns
/// once every byte is in the send buffer (not yet acknowledged); `close` returns once the FIN is
/// queued after the bytes written before it. After an orderly end (both sides closed) `inbound`
/// still yields every byte the peer sent, then ends: the stack keeps the connection's receive buffer
/// until they are read. After a reset, everything throws `reset` (unread bytes are gone). After our
/// `close`, writes throw `closed`. Dropping the last reference closes the connection if it is
/// still open and discards what it has not read.
public final class TCPConnection: Sendable {
    /// The peer's address.
    public let remoteAddress: IPv4Address
    /// The peer's port.
    public let remotePort: UInt16
    /// This side's port.
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

    deinit { driver.submit(.releaseConnection(key)) }

    /// The received bytes, as chunks lent from the receive buffer (no copy, no allocation per
    /// chunk). Iterate it from one task at a time. The last chunk stays lent (its bytes count
    /// against the receive window) until the next iteration, from this or a later iterator, or
    /// until the connection is dropped.
    public var inbound: Inbound { Inbound(connection: self) }

    /// Copies `bytes` into the send buffer (the only copy: contiguous collections in one or two
    /// moves, others element by element), waiting for room as acknowledgments free it. The stack's
    /// thread reads `bytes` while `write` waits. Throws `closed` after `close`, `reset` or
    /// `timedOut` when the connection ended, `cancelled` (some bytes may have been sent).
    public func write(_ bytes: some Collection<UInt8>) async throws(TCPError) {
        try await driver.perform { .write(connection: key, CollectionSource(bytes), $0) }
    }

    /// Closes our direction after the bytes already written (FIN). We may still read what the peer
    /// sends until its end of stream. Throws `closed` when called twice.
    public func close() async throws(TCPError) {
        try await driver.perform { .close(connection: key, $0) }
    }

    /// Ends the loan of the previous chunk and waits for the next one (nil at the end of the stream).
    func receive() async throws(TCPError) -> Chunk? {
        try await driver.perform { .receive(connection: key, $0) }
    }

    /// The received bytes of a connection as an `AsyncSequence` of `Chunk`s; it ends (nil) at the
    /// peer's orderly end of stream and throws `reset` or `timedOut` when the stream broke.
    public struct Inbound: AsyncSequence, Sendable {
        public typealias Element = Chunk
        public typealias Failure = TCPError

        let connection: TCPConnection

        public func makeAsyncIterator() -> Iterator { Iterator(connection: connection) }

        /// Yields the next chunk, handing the previous one's bytes back to the receive buffer first.
        public struct Iterator: AsyncIteratorProtocol {
            let connection: TCPConnection

            /// The next chunk; nil at the orderly end of the stream.
            public mutating func next() async throws(TCPError) -> Chunk? {
                try await connection.receive()
            }

            /// The next chunk, waiting in the caller's isolation; nil at the orderly end of the stream.
            public mutating func next(isolation actor: isolated (any Actor)?) async throws(TCPError) -> Chunk? {
                try await connection.receive()
            }
        }
    }

    /// Received bytes lent from the connection's receive buffer: a collection of bytes in one
    /// contiguous piece of memory.
    ///
    /// Contract: valid until the next iteration of the connection's `inbound` (or its end), when its
    /// bytes return to the receive buffer and may be overwritten by newer ones: copy what you keep
    /// (e.g. `Array(chunk)`). The memory itself stays allocated while the chunk exists, so a stale
    /// chunk reads newer bytes, never freed memory.
    public struct Chunk: RandomAccessCollection, @unchecked Sendable {
        // Sendable: the bytes are lent to one consumer at a time under the contract above.
        let bytes: UnsafeRawBufferPointer
        /// Keeps the receive buffer's memory allocated.
        let owner: AnyObject

        public var startIndex: Int { 0 }
        public var endIndex: Int { bytes.count }

        /// The byte at `position` (`0 ..< count`).
        public subscript(position: Int) -> UInt8 {
            precondition(position >= 0 && position < bytes.count, "Chunk index out of range")
            return bytes[position]
        }

        /// Calls `body` with the chunk's bytes; the pointer is valid only inside `body`.
        public func withUnsafeBytes<Result, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Result) throws(Failure) -> Result {
            try body(bytes)
        }

        /// Calls `body` with the chunk's bytes (always contiguous), so that copies from a chunk are one move.
        public func withContiguousStorageIfAvailable<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result? {
            try body(bytes.assumingMemoryBound(to: UInt8.self))
        }
    }
}
