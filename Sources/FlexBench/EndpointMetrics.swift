/// What one worker thread's sessions counted: messages completed, payload bytes received, errors,
/// and (for latency workloads) a histogram of per-message latency.
///
/// Contract: `reset()` at the start of the measured interval clears everything, histogram included.
public struct EndpointMetrics: Sendable {
    /// Messages this side completed: responses matched (echo/churn client), messages received.
    public var messages: UInt64 = 0
    /// Payload bytes this side received.
    public var bytes: UInt64 = 0
    /// Protocol violations seen: echoed bytes that do not match, unexpected end of stream.
    public var errors: UInt64 = 0
    public var latency = LatencyHistogram()

    public init() {}

    public mutating func reset() {
        messages = 0
        bytes = 0
        errors = 0
        latency.reset()
    }

    public mutating func merge(_ other: EndpointMetrics) {
        messages &+= other.messages
        bytes &+= other.bytes
        errors &+= other.errors
        latency.merge(other.latency)
    }
}
