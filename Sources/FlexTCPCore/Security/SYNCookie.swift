/// What a server sends in its SYN-ACK when it answers a SYN with a cookie instead of a connection
/// record.
///
/// Contract: send `sequenceNumber` as the SYN-ACK's sequence number, advertise
/// `maximumSegmentSize` (the table entry the cookie encodes, never above the peer's offer), and,
/// when `timestampValue` is not nil, send it as TSval.
package struct SYNCookie: Hashable, Sendable {
    package var sequenceNumber: UInt32
    package var maximumSegmentSize: UInt16
    package var timestampValue: UInt32?
}

/// The connection parameters recovered from a valid cookie.
///
/// Contract: `options` is nil when the handshake ran without timestamps; the connection then has
/// no window scaling, SACK or ECN.
package struct SYNCookieContents: Hashable, Sendable {
    package var clientInitialSequenceNumber: UInt32
    package var serverInitialSequenceNumber: UInt32
    package var maximumSegmentSize: UInt16
    package var options: SYNCookieOptions?
}

/// Why an ACK does not complete a cookie handshake.
package enum SYNCookieRejection: Error, Hashable, Sendable {
    /// The cookie is authentic but older than the previous counter period.
    case expired
    /// The cookie was not issued by this codec for this 4-tuple, client ISN and options.
    case forged
}
