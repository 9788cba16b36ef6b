import FlexTCPCore

/// Why an async operation failed.
public enum TCPError: Error, Equatable, Sendable {
    /// The runtime refused the listen, accept or connect.
    case refused(SlowPathStatus)
    /// The connection ended before the operation could finish (reset, timeout, or closed by us).
    case connectionClosed(CloseReason)
    /// The connection or listener is not (or no longer) known to its driver.
    case unknownHandle
    /// The driver stopped before the operation finished.
    case stopped
}
