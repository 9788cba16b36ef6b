/// Counters of every drop, answer and state transition of the slow path's connection management.
///
/// Contract: counters only grow (wrapping); readers take differences.
public struct SlowPathCounters: Hashable, Sendable {
    // Handshakes.
    public var synsReceived: UInt64 = 0
    public var synAcksSent: UInt64 = 0
    public var synAckRetransmissions: UInt64 = 0
    public var synAckTimeouts: UInt64 = 0
    public var synsSent: UInt64 = 0
    public var synRetransmissions: UInt64 = 0
    public var cookiesSent: UInt64 = 0
    public var cookiesAccepted: UInt64 = 0
    public var cookiesForged: UInt64 = 0
    public var cookiesExpired: UInt64 = 0
    public var passiveOpens: UInt64 = 0
    public var activeOpens: UInt64 = 0
    /// SYNs without ACK received in SYN-SENT: simultaneous opens (each answered with a SYN-ACK).
    public var simultaneousOpens: UInt64 = 0
    public var connectFailures: UInt64 = 0
    /// SYNs (or SYN-ACKs) whose malformed options were read leniently (the bad option as absent).
    public var synsWithMalformedOptions: UInt64 = 0
    // Teardown.
    public var finsSent: UInt64 = 0
    public var finRetransmissions: UInt64 = 0
    public var finsReceived: UInt64 = 0
    /// Retransmission timeouts of data or FIN (each one goes back to SND.UNA), and zero-window probes.
    public var retransmissionTimeouts: UInt64 = 0
    public var windowProbesSent: UInt64 = 0
    /// Connections reset after `dataRetries` (or `finRetries`) timeouts without progress.
    public var retransmissionFailures: UInt64 = 0
    public var timeWaitEntered: UInt64 = 0
    public var timeWaitExpired: UInt64 = 0
    /// TIME_WAIT connections ended by a new SYN for the same 4-tuple that a listener took (RFC 6191).
    public var timeWaitReopenedBySYN: UInt64 = 0
    public var connectionsClosed: UInt64 = 0
    public var connectionsAborted: UInt64 = 0
    // Resets and challenges.
    public var resetsSent: UInt64 = 0
    public var resetsAccepted: UInt64 = 0
    public var challengeAcknowledgmentsSent: UInt64 = 0
    public var challengeAcknowledgmentsSuppressed: UInt64 = 0
    // Drops.
    public var malformedSegments: UInt64 = 0
    public var segmentsToUnknownFlows: UInt64 = 0
    public var resetsIgnored: UInt64 = 0
    public var synsDroppedBacklogFull: UInt64 = 0
    public var acknowledgmentsDroppedBacklogFull: UInt64 = 0
    /// SYNs left unanswered because no flow index or ring pair was left unclaimed.
    public var synsDroppedNoResources: UInt64 = 0
    /// Final handshake ACKs answered with an RST because no flow index or ring pair was free.
    public var acknowledgmentsResetNoResources: UInt64 = 0
    /// SYNs to a listener that also carry FIN.
    public var synsDroppedBadFlags: UInt64 = 0
    /// Segments to a listener with neither RST, ACK nor SYN (RFC 9293 §3.10.7.2: dropped).
    public var segmentsDroppedInListen: UInt64 = 0
    public var unacceptableSegments: UInt64 = 0
    public var finsOutOfOrder: UInt64 = 0
    public var finPayloadsLost: UInt64 = 0
    public var unsupportedSegments: UInt64 = 0
    public var transmitFailures: UInt64 = 0
    // Work.
    /// Connections `advance` looked at: flows the fast path reported changed, connection and SYN-ACK
    /// timers taken from their schedules, congestion-control steps. Idle connections add nothing.
    public var connectionVisits: UInt64 = 0

    public init() {}
}
