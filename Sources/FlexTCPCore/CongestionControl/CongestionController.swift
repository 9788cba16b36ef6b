/// A congestion control algorithm's state for one flow, driven by the slow path's control loop.
///
/// Contract: one value per flow. `begin` is called once, when the flow is established, before any
/// update. Every control interval (about `controlIntervalNanoseconds` after
/// the previous call) the slow path passes the flow's feedback for that interval to
/// `update(with:)` and programs the rate into the queue manager (`queueManagerRate`: none while
/// `pacesFlow` is false). Rates are in bytes per
/// second. Updates are deterministic: the same feedback sequence gives the same rates.
/// `rateBytesPerSecond` is the rate to enforce now, the initial rate before the first update.
package protocol CongestionController: Sendable {
    /// The rate the flow may send at, in bytes per second.
    var rateBytesPerSecond: UInt64 { get }

    /// How long the slow path should wait before this flow's next update.
    var controlIntervalNanoseconds: UInt64 { get }

    /// Whether the queue manager should enforce `rateBytesPerSecond` now (false: the flow is left
    /// unpaced, limited by the peer's window only, until this turns true).
    var pacesFlow: Bool { get }

    /// Takes what the handshake measured: its RTT (0: none, e.g. without timestamps) and the
    /// flow's MSS in bytes.
    mutating func begin(roundTripNanoseconds: UInt64, maximumSegmentBytes: UInt64)

    /// Consumes one interval's feedback; returns the new `rateBytesPerSecond`.
    mutating func update(with feedback: CongestionFeedback) -> UInt64
}

extension CongestionController {
    /// Controllers pace every flow unless they say otherwise.
    package var pacesFlow: Bool { true }

    /// Controllers that start from a configured rate ignore the handshake.
    package mutating func begin(roundTripNanoseconds: UInt64, maximumSegmentBytes: UInt64) {}

    /// The rate to program into the queue manager: `rateBytesPerSecond` when the controller paces
    /// the flow, `QueueManager.unlimitedRate` otherwise.
    package var queueManagerRate: UInt64 { pacesFlow ? rateBytesPerSecond : QueueManager.unlimitedRate }
}
