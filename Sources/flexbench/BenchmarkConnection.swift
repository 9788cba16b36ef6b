import FlexWire

/// The one TCP connection the frame benchmarks send and parse: fixed MAC addresses, addresses from
/// 198.18.0.0/15, fixed ports, and the timestamps option on every segment (NOP NOP TS, 12 bytes,
/// as Linux sends after the handshake). Only builds header values; no I/O.
enum BenchmarkConnection {
    static let ethernet = EthernetRepr(destination: MACAddress(0x02, 0, 0, 0, 0, 0x0b),
                                       source: MACAddress(0x02, 0, 0, 0, 0, 0x0a), etherType: .ipv4)
    static let sourceAddress = IPv4Address(198, 18, 0, 1)
    static let destinationAddress = IPv4Address(198, 18, 0, 2)
    static let sourcePort: UInt16 = 40_000
    static let destinationPort: UInt16 = 5_001
    /// Ethernet + IPv4 + TCP with timestamps: 14 + 20 + 32 bytes before the payload.
    static let headerLength = 66

    /// An IPv4 header for a segment of `segmentLength` bytes (TCP header included), DF set, ECT(0).
    static func ipv4(segmentLength: Int, identification: UInt16) -> IPv4Repr {
        IPv4Repr(source: sourceAddress, destination: destinationAddress, protocolNumber: .tcp,
                 payloadLength: segmentLength, identification: identification, ecn: .ect0)
    }

    /// A TCP header with the timestamps option and a 64 KiB − 1 unscaled window.
    static func segment(sequence: UInt32, acknowledgment: UInt32, flags: TCPFlags, timestamp: UInt32,
                        echoedTimestamp: UInt32) -> TCPSegmentRepr {
        TCPSegmentRepr(sourcePort: sourcePort, destinationPort: destinationPort, sequenceNumber: SequenceNumber(sequence),
                       acknowledgmentNumber: SequenceNumber(acknowledgment), flags: flags, window: 0xffff,
                       options: TCPOptions(timestamps: TCPTimestamps(value: timestamp, echoReply: echoedTimestamp)))
    }

    /// A whole data frame (ACK + PSH) carrying `payloadCount` bytes, every checksum valid. `variant`
    /// changes the sequence numbers, timestamps and payload bytes, so that frames differ.
    static func dataFrame(payloadCount: Int, variant: UInt32) -> [UInt8] {
        let segment = segment(sequence: 1_000_000 &+ variant &* 1448, acknowledgment: 7_000_000 &+ variant,
                              flags: [.ack, .psh], timestamp: 500 &+ variant, echoedTimestamp: 400 &+ variant)
        let headers = FrameHeaders(ethernet: ethernet, network: .ipv4(ipv4(segmentLength: 0, identification: 0), .tcp(segment)))
        let payload = (0..<payloadCount).map { UInt8(truncatingIfNeeded: UInt32($0) &* 31 &+ variant) }
        // The headers and payload above always fit the array `frame` sizes for them.
        return try! headers.frame(payload: payload)
    }
}
