import FlexWire

/// One finished stream of a `SinkService` or `SendClient`: who, how many bytes, their SHA-256.
public struct StreamReport: Sendable, Equatable {
    /// The peer's address and port (sink) or the connection's number counted from 0 (send).
    public var label: String
    public var bytes: UInt64
    public var sha256: String

    public init(label: String, bytes: UInt64, sha256: String) {
        self.label = label
        self.bytes = bytes
        self.sha256 = sha256
    }

    /// `conn LABEL bytes=N sha256=HEX`, the line the tools print.
    public var line: String { "conn \(label) bytes=\(bytes) sha256=\(sha256)" }
}
