import FlexWire

/// Policy of the slow path's connection management: ring sizes, queue bounds, timers, which TCP
/// options to offer, and the secrets for ISNs and SYN cookies.
///
/// Contract: times are nanoseconds of the caller's clock (virtual in tests). Every bound here caps
/// memory: at most `synQueueCapacity` half-open connections are remembered (beyond it SYN cookies
/// answer), at most `backlog` completed ones wait per listener, and one flow slot plus one ring pair
/// is taken per connection from SYN-SENT (active) or completion (passive) until its close is reported
/// (or TIME_WAIT ends, when the application reads last); TIME_WAIT then holds a small record
/// (at most `timeWaitCapacity`).
package struct SlowPathConfiguration: Sendable {
    /// Bytes of each flow's receive ring and transmit ring (both > 0; a pair is one allocation unit).
    package var receiveRingSize: UInt32 = 64 * 1024
    package var transmitRingSize: UInt32 = 64 * 1024
    /// Half-open (SYN-RECEIVED) connections remembered over all listeners; more SYNs get cookies.
    package var synQueueCapacity = 128
    /// First retransmission timeout of SYN and SYN-ACK, and of data or FIN before the fast path has
    /// an RTT estimate; doubled after every retry (RFC 6298 and Linux: 1 s).
    package var initialRetransmissionTimeout: UInt64 = 1_000_000_000
    /// The data/FIN retransmission timeout is `retransmissionTimeoutRoundTrips` × the fast path's
    /// RTT estimate (FlexTCP: SND.UNA unmoved for 2 control intervals of 2 RTTs), never below
    /// `minimumRetransmissionTimeout` (Linux's 200 ms: a data-center RTT is tiny, but a receiver's
    /// delayed ACK or a scheduling hiccup must not cause spurious go-back-N), and after back-off
    /// never above `maximumRetransmissionTimeout` (Linux: 120 s).
    package var retransmissionTimeoutRoundTrips: UInt64 = 4
    package var minimumRetransmissionTimeout: UInt64 = 200_000_000
    package var maximumRetransmissionTimeout: UInt64 = 120_000_000_000
    /// Consecutive retransmission timeouts without progress before the connection is reset
    /// (Linux's tcp_retries2 is 15). Zero-window probes answered by the peer never count.
    package var dataRetries = 15
    /// Congestion control for every established flow: by default DCTCP with `defaultCongestionControl`'s
    /// parameters (their maximum rate is the line-rate cap), or another `CongestionControlAlgorithm`;
    /// nil leaves flows unpaced (only the peer's window limits them).
    package var congestionControl: (any CongestionControlAlgorithm)? = SlowPathConfiguration.defaultCongestionControl
    /// Retransmissions of a SYN before `connect` fails, of a SYN-ACK before the half-open entry is
    /// dropped, and of a FIN before the connection is aborted.
    package var synRetries = 6
    package var synAckRetries = 5
    package var finRetries = 8
    /// How long a connection we closed first holds its 4-tuple in TIME_WAIT (2 × MSL, MSL 30 s).
    package var timeWaitDuration: UInt64 = 60_000_000_000
    /// TIME_WAIT records (at most 64 bytes each, plus their dictionary slots) held once their connections gave their flows back
    /// (nil: 4 × the flow capacity; 0: none, TIME_WAIT ends when the close is reported); beyond it
    /// the record due first ends early (`timeWaitEvicted`).
    package var timeWaitCapacity: Int?
    /// How often `advance` examines the flows the fast path reported changed (0: on every call). Each
    /// examination costs time per changed flow (~60–90 ns), so a busy-polling driver whose flows change
    /// on almost every poll sets an interval (the benchmarks: 1 ms); retransmission timers then start
    /// and restart up to one interval late. Deadlines already set fire on time either way, and idle
    /// connections cost nothing either way.
    package var changeExaminationInterval: UInt64 = 0
    /// Local ports `connect` picks from (RFC 6335's dynamic range by default).
    package var ephemeralPorts: ClosedRange<UInt16> = 49152...65535
    /// Service mode: the payload region split into one ring pool per application (nil: one pool
    /// every context shares). A connection takes its rings from its context's pool.
    package var ringPartition: PayloadRingPartition?
    /// Options this side offers on active opens (and accepts on passive ones when the peer offers).
    package var offersTimestamps = true
    package var offersWindowScale = true
    /// SACK-permitted (RFC 2018): our ACKs then carry a SACK block for the fast path's out-of-order
    /// interval, so a SACK sender (Linux) repairs a loss without waiting for a timeout. False
    /// declines it (SYN and SYN-ACK without SACK-permitted).
    package var offersSelectiveAcknowledgment = true
    /// RFC 8985 tail loss probes for SACK flows (`SlowPath+Retransmission.swift`): when nothing is
    /// acknowledged for 2 × SRTT (plus `probeDelayedAcknowledgmentAllowance` with one segment in
    /// flight) and that is sooner than the RTO, the last segment is sent again; a SACK for it that
    /// leaves the bytes below unacknowledged makes them lost by RACK's rule once the reordering
    /// window has passed, and recovery repairs them. False waits for the RTO instead.
    package var sendsTailLossProbes = true
    /// What a probe waits for beyond 2 × SRTT when one segment is in flight (RFC 8985's WCDelAckT).
    package var probeDelayedAcknowledgmentAllowance: UInt64 = 200_000_000
    /// The least a probe waits (Linux floors its probe timer at 10 ms): with data-center round trips
    /// of microseconds, 2 × SRTT passes whenever a peer's thread is descheduled, and probes sent then
    /// are spurious (seen as hundreds of probes per thousand 128 KiB NVMe reads without a drop).
    package var minimumProbeTimeout: UInt64 = 10_000_000
    /// RFC 3168 ECN setup: SYN with ECE+CWR, SYN-ACK with ECE.
    package var offersECN = false
    /// Challenge ACKs per second, on average (RFC 5961 §7; Linux's default was 1000): each second's
    /// budget is drawn at random from [limit/2, limit/2 + limit) so that it cannot be counted from outside.
    package var challengeAcknowledgmentsPerSecond = 1000
    package var sequenceNumberKey: SipHashKey = .random()
    package var cookieKey: SipHashKey = .random()

    package init() {}

    /// FlexTCP's DCTCP defaults capped at 10 Gbit/s.
    package static let defaultCongestionControl = try? DCTCPConfiguration(
        maximumRateBytesPerSecond: RateUnit.bytesPerSecond(megabitsPerSecond: 10_000))

    /// The window-scale shift for our receive ring: the smallest that fits it in 16 bits (at most 14).
    package var receiveWindowShift: UInt8 {
        var shift: UInt8 = 0
        while shift < 14 && receiveRingSize >> UInt32(shift) > 0xffff { shift += 1 }
        return shift
    }
}
