import FlexWire

/// Why a network host refused to send something; nothing was sent or queued.
package enum NetworkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The destination is outside the local subnet and there is no default gateway.
    case noRoute(IPv4Address)
    /// The destination is not a single host: unspecified, loopback, multicast or broadcast.
    case notUnicast(IPv4Address)
    /// The destination is this host's own address (there is no loopback).
    case ownAddress(IPv4Address)
    /// The frame would be longer than the port's largest frame, or shorter than its headers.
    case unsendableFrameLength(Int, maximum: Int)
    /// As many echo requests as the host tracks are still waiting for a reply.
    case tooManyOutstandingEchoRequests(limit: Int)
    /// An echo request with this sequence number to this destination is still waiting for a reply.
    case echoRequestOutstanding(IPv4Address, sequenceNumber: UInt16)

    package var description: String {
        switch self {
        case let .noRoute(destination):
            "no route to \(destination): it is outside the local subnet and there is no default gateway"
        case let .notUnicast(destination):
            "\(destination) is not a single host (unspecified, loopback, multicast or broadcast)"
        case let .ownAddress(destination):
            "\(destination) is this host's own address"
        case let .unsendableFrameLength(length, maximum):
            "a frame of \(length) bytes cannot be sent (largest: \(maximum) bytes)"
        case let .tooManyOutstandingEchoRequests(limit):
            "\(limit) echo requests are already waiting for replies"
        case let .echoRequestOutstanding(destination, sequenceNumber):
            "echo request \(sequenceNumber) to \(destination) is still waiting for its reply"
        }
    }
}
