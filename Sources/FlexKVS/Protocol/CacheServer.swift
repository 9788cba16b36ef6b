import Atomics

/// What every connection of one FlexKVS server shares: the store, the settings `stats` reports,
/// and the server-wide counters (connections, bytes, flushes, verbosity).
///
/// Contract: thread-safe; transports count connections (`connectionOpened`/`Closed`) and bytes
/// (`countRead`/`countWritten`); sessions do the rest.
public final class CacheServer: Sendable {
    public let store: KeyValueStore
    public let settings: ServerSettings
    let currentConnections = ManagedAtomic<Int>(0)
    let totalConnections = ManagedAtomic<UInt64>(0)
    let bytesRead = ManagedAtomic<UInt64>(0)
    let bytesWritten = ManagedAtomic<UInt64>(0)
    let flushCommands = ManagedAtomic<UInt64>(0)
    let verbosity = ManagedAtomic<UInt32>(0)
    /// The version reported: the memcached protocol level, marked as FlexKVS.
    public static let version = "1.6.18-flexkvs"

    public init(store: KeyValueStore, settings: ServerSettings) {
        self.store = store
        self.settings = settings
    }

    /// A transport accepted a connection.
    public func connectionOpened() {
        currentConnections.wrappingIncrement(ordering: .relaxed)
        totalConnections.wrappingIncrement(ordering: .relaxed)
    }

    /// A transport closed a connection.
    public func connectionClosed() { currentConnections.wrappingDecrement(ordering: .relaxed) }

    /// A transport read `byteCount` request bytes.
    public func countRead(_ byteCount: Int) { bytesRead.wrappingIncrement(by: UInt64(byteCount), ordering: .relaxed) }

    /// A transport wrote `byteCount` reply bytes.
    public func countWritten(_ byteCount: Int) { bytesWritten.wrappingIncrement(by: UInt64(byteCount), ordering: .relaxed) }
}

/// The server's settings as `stats` and `stats settings` report them.
public struct ServerSettings: Sendable {
    public var tcpPort: UInt16
    public var udpPort: UInt16 = 0
    public var threads: Int = 1
    public var maxConnections: Int = 1024
    /// The listening address as text ("0.0.0.0", or the FlexTCP interface's address).
    public var interface: String = "0.0.0.0"

    public init(tcpPort: UInt16) { self.tcpPort = tcpPort }
}
