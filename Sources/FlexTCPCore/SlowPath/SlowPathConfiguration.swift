import FlexWire

/// Policy of the slow path's connection management: ring sizes, queue bounds, timers, which TCP
/// options to offer, and the secrets for ISNs and SYN cookies.
///
/// Contract: times are nanoseconds of the caller's clock (virtual in tests). Every bound here caps
/// memory: at most `synQueueCapacity` half-open connections are remembered (beyond it SYN cookies
/// answer), at most `backlog` completed ones wait per listener, and one flow slot plus one ring pair
/// is taken per connection from SYN-SENT (active) or completion (passive) until TIME_WAIT ends.
public struct SlowPathConfiguration: Sendable {
    /// Bytes of each flow's receive ring and transmit ring (both > 0; a pair is one allocation unit).
    public var receiveRingSize: UInt32 = 64 * 1024
    public var transmitRingSize: UInt32 = 64 * 1024
    /// Half-open (SYN-RECEIVED) connections remembered over all listeners; more SYNs get cookies.
    public var synQueueCapacity = 128
    /// First retransmission timeout of SYN, SYN-ACK and FIN; doubled after every retry (Linux: 1 s).
    public var initialRetransmissionTimeout: UInt64 = 1_000_000_000
    /// Retransmissions of a SYN before `connect` fails, of a SYN-ACK before the half-open entry is
    /// dropped, and of a FIN before the connection is aborted.
    public var synRetries = 6
    public var synAckRetries = 5
    public var finRetries = 8
    /// How long a connection we closed first holds its 4-tuple in TIME_WAIT (2 × MSL, MSL 30 s).
    public var timeWaitDuration: UInt64 = 60_000_000_000
    /// Local ports `connect` picks from (RFC 6335's dynamic range by default).
    public var ephemeralPorts: ClosedRange<UInt16> = 49152...65535
    /// Options this side offers on active opens (and accepts on passive ones when the peer offers).
    public var offersTimestamps = true
    public var offersWindowScale = true
    /// RFC 3168 ECN setup: SYN with ECE+CWR, SYN-ACK with ECE.
    public var offersECN = false
    /// Challenge ACKs sent per second at most (RFC 5961 §7; Linux's default is 1000).
    public var challengeAcknowledgmentsPerSecond = 1000
    public var sequenceNumberKey: SipHashKey = .random()
    public var cookieKey: SipHashKey = .random()

    public init() {}

    /// The window-scale shift for our receive ring: the smallest that fits it in 16 bits (at most 14).
    public var receiveWindowShift: UInt8 {
        var shift: UInt8 = 0
        while shift < 14 && receiveRingSize >> UInt32(shift) > 0xffff { shift += 1 }
        return shift
    }
}
