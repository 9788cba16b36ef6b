import FlexWire

/// A TCP segment seen on the wire, reduced to what a peer compares: addresses, flags, numbers,
/// window, options and payload length.
///
/// Contract: `init?(frame:)` returns nil for anything but a well-formed TCP/IPv4 frame; checksums are
/// not verified (a kernel on a veth may leave them to offload).
public struct ObservedSegment: Sendable, CustomStringConvertible {
    public var destinationMAC: MACAddress
    public var source: IPv4Address
    public var destination: IPv4Address
    public var header: TCPSegmentRepr
    public var payload: [UInt8]

    public init?(frame: [UInt8]) {
        guard let parsed = frame.withUnsafeBytes({ try? ParsedFrame(parsing: $0, verifyChecksums: false) }),
              case let .ipv4(ip, .tcp(header)) = parsed.headers.network else { return nil }
        destinationMAC = parsed.headers.ethernet.destination
        source = ip.source
        destination = ip.destination
        self.header = header
        payload = Array(frame[parsed.payloadRange])
    }

    public var flags: TCPFlags { header.flags }
    public var sequence: UInt32 { header.sequenceNumber.rawValue }
    public var acknowledgment: UInt32 { header.acknowledgmentNumber.rawValue }

    public var description: String {
        "\(source):\(header.sourcePort)→\(destination):\(header.destinationPort) flags \(String(flags.rawValue, radix: 2)) "
            + "seq \(sequence) ack \(acknowledgment) win \(header.window) len \(payload.count)"
    }
}
