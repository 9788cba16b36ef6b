/// Counters of every drop, answer and state transition of the slow path's connection management.
///
/// Contract: counters only grow (wrapping); readers take differences.
package struct SlowPathCounters: Hashable, Sendable {
    // Handshakes.
    package var synsReceived: UInt64 = 0
    package var synAcksSent: UInt64 = 0
    package var synAckRetransmissions: UInt64 = 0
    package var synAckTimeouts: UInt64 = 0
    package var synsSent: UInt64 = 0
    package var synRetransmissions: UInt64 = 0
    package var cookiesSent: UInt64 = 0
    package var cookiesAccepted: UInt64 = 0
    package var cookiesForged: UInt64 = 0
    package var cookiesExpired: UInt64 = 0
    package var passiveOpens: UInt64 = 0
    /// Listeners closed (`closeListener`).
    package var listenersClosed: UInt64 = 0
    package var activeOpens: UInt64 = 0
    /// SYNs without ACK received in SYN-SENT: simultaneous opens (each answered with a SYN-ACK).
    package var simultaneousOpens: UInt64 = 0
    package var connectFailures: UInt64 = 0
    /// SYNs (or SYN-ACKs) whose malformed options were read leniently (the bad option as absent).
    package var synsWithMalformedOptions: UInt64 = 0
    // Teardown.
    package var finsSent: UInt64 = 0
    package var finRetransmissions: UInt64 = 0
    package var finsReceived: UInt64 = 0
    /// Retransmission timeouts of data or FIN (each one goes back to SND.UNA), and zero-window probes.
    package var retransmissionTimeouts: UInt64 = 0
    package var windowProbesSent: UInt64 = 0
    /// SACK loss recoveries begun (RFC 6675) and the holes they retransmitted (`SlowPath+SelectiveRecovery.swift`).
    package var selectiveRecoveries: UInt64 = 0
    package var selectiveRetransmissions: UInt64 = 0
    /// Retransmissions RACK found lost again (RFC 8985) and sent again, without waiting for the RTO
    /// (each also counts in `selectiveRetransmissions`).
    package var lostRetransmissions: UInt64 = 0
    /// Tail loss probes sent (RFC 8985) and SACK recoveries a probe's acknowledgment began.
    package var tailLossProbes: UInt64 = 0
    package var probeRecoveries: UInt64 = 0
    /// Connections reset after `dataRetries` (or `finRetries`) timeouts without progress.
    package var retransmissionFailures: UInt64 = 0
    package var timeWaitEntered: UInt64 = 0
    package var timeWaitExpired: UInt64 = 0
    /// TIME_WAIT records dropped early because `timeWaitCapacity` records were held.
    package var timeWaitEvicted: UInt64 = 0
    /// TIME_WAIT connections ended by a new SYN for the same 4-tuple that a listener took (RFC 6191).
    package var timeWaitReopenedBySYN: UInt64 = 0
    package var connectionsClosed: UInt64 = 0
    /// Orderly closes whose `closed` event waited for the application to free received bytes.
    package var closesAwaitingRead: UInt64 = 0
    package var connectionsAborted: UInt64 = 0
    // Resets and challenges.
    package var resetsSent: UInt64 = 0
    package var resetsAccepted: UInt64 = 0
    package var challengeAcknowledgmentsSent: UInt64 = 0
    package var challengeAcknowledgmentsSuppressed: UInt64 = 0
    // Drops.
    package var malformedSegments: UInt64 = 0
    package var segmentsToUnknownFlows: UInt64 = 0
    package var resetsIgnored: UInt64 = 0
    package var synsDroppedBacklogFull: UInt64 = 0
    package var acknowledgmentsDroppedBacklogFull: UInt64 = 0
    /// SYNs left unanswered because no flow index or ring pair was left unclaimed.
    package var synsDroppedNoResources: UInt64 = 0
    /// SYNs to a listener answered with an RST because its application was at its connection limit
    /// (its ring pool empty) while the stack had room.
    package var synsResetApplicationLimit: UInt64 = 0
    /// Final handshake ACKs answered with an RST because no flow index or ring pair was free.
    package var acknowledgmentsResetNoResources: UInt64 = 0
    /// SYNs to a listener that also carry FIN.
    package var synsDroppedBadFlags: UInt64 = 0
    /// Segments to a listener with neither RST, ACK nor SYN (RFC 9293 §3.10.7.2: dropped).
    package var segmentsDroppedInListen: UInt64 = 0
    package var unacceptableSegments: UInt64 = 0
    package var finsOutOfOrder: UInt64 = 0
    package var finPayloadsLost: UInt64 = 0
    package var unsupportedSegments: UInt64 = 0
    package var transmitFailures: UInt64 = 0
    // Work.
    /// Connections `advance` looked at: flows the fast path reported changed, connection and SYN-ACK
    /// timers taken from their schedules, congestion-control steps. Idle connections add nothing.
    package var connectionVisits: UInt64 = 0

    package init() {}
}
