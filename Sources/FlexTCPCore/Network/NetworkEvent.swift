import FlexWire

/// An echo reply that answered one of this host's echo requests.
package struct EchoReply: Hashable, Sendable {
    package var source: IPv4Address
    package var sequenceNumber: UInt16
    /// Echo data bytes (after the 8-byte ICMP header).
    package var payloadLength: Int
    package var timeToLive: UInt8
    /// From the request's transmission (or queueing, while its neighbour was resolved) to the reply's arrival.
    package var roundTripTime: UInt64
}

/// Something a network host did that its driver may want to report; collected with `drainEvents`.
package enum NetworkEvent: Hashable, Sendable, CustomStringConvertible {
    /// A resolution this host started got its answer.
    case neighbourResolved(IPv4Address, MACAddress, requestsSent: Int, elapsed: UInt64)
    /// A resolution (or re-resolution) got no answer to its last request; its waiting frames were dropped.
    case neighbourUnreachable(IPv4Address, requestsSent: Int, droppedFrames: Int)
    case echoReplyReceived(EchoReply)
    /// No reply to the echo request came before its deadline.
    case echoRequestTimedOut(destination: IPv4Address, sequenceNumber: UInt16)

    package var description: String {
        switch self {
        case let .neighbourResolved(address, hardwareAddress, requestsSent, elapsed):
            "ARP: \(address) is at \(hardwareAddress) (\(requestsSent) \(requestsSent == 1 ? "request" : "requests"), "
                + "answered in \(Microseconds(elapsed)))"
        case let .neighbourUnreachable(address, requestsSent, droppedFrames):
            "ARP: no answer for \(address) after \(requestsSent) \(requestsSent == 1 ? "request" : "requests"); "
                + "\(droppedFrames) waiting \(droppedFrames == 1 ? "frame" : "frames") dropped"
        case let .echoReplyReceived(reply):
            "echo reply from \(reply.source): sequence \(reply.sequenceNumber), \(reply.payloadLength) data bytes, "
                + "ttl \(reply.timeToLive), round trip \(Microseconds(reply.roundTripTime))"
        case let .echoRequestTimedOut(destination, sequenceNumber):
            "no echo reply from \(destination) for sequence \(sequenceNumber)"
        }
    }
}

/// A duration in nanoseconds printed in microseconds with one decimal ("12.3 µs").
package struct Microseconds: CustomStringConvertible, Sendable {
    package var nanoseconds: UInt64
    package init(_ nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    package var description: String {
        let tenths = (nanoseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10) µs"
    }
}
