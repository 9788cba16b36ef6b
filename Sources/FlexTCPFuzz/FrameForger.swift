import FlexWire

/// Builds the frames a fuzz session sends, from the legitimate peer's view of the connection.
///
/// Contract: `consistent` frames carry only bytes the peer really sends at their positions (before
/// the stream: 0xEE, which must never be delivered), and a FIN only at the stream's end, so a
/// receiver may accept any of them without corrupting the stream. `hostile` frames carry bytes the
/// peer never sends and are, by the RFCs, never acceptable; if any of their bytes reaches the
/// application the stream invariant fails. `garbage` frames are truncated or random.
public enum FrameForger {
    /// The legitimate peer's next step: new bytes, or a retransmission from the last ACK (with the
    /// FIN once every byte was sent).
    public static func legitimate(_ harness: FuzzHarness, _ choices: inout some FuzzChoices) -> [UInt8] {
        let streamEnd = FuzzStreams.peerStreamLength
        guard harness.peerSent < streamEnd, !choices.oneIn(4) else { return fromAcknowledgment(harness) }
        let length = min(choices.number(in: 1...FuzzHarness.peerSegmentSize), streamEnd - harness.peerSent)
        defer { harness.peerSent += length }
        return harness.peerSegment(at: harness.peerSent, length: length).frame()
    }

    /// The legitimate peer resending from the stack's last ACK: up to a full segment, with its FIN
    /// when that segment reaches the end of the stream.
    public static func fromAcknowledgment(_ harness: FuzzHarness) -> [UInt8] {
        let streamEnd = FuzzStreams.peerStreamLength
        let start = max(min(harness.stackAcknowledged, streamEnd), 0)
        let length = min(FuzzHarness.peerSegmentSize, streamEnd - start)
        let isLast = start + length == streamEnd
        harness.peerSent = max(harness.peerSent, start + length)
        if isLast { harness.peerFinSent = true }
        return harness.peerSegment(at: start, length: length, flags: isLast ? [.ack, .fin] : [.ack, .psh]).frame()
    }

    /// A pure ACK or window update from the peer.
    public static func acknowledgment(_ harness: FuzzHarness) -> [UInt8] {
        harness.peerSegment(at: harness.peerSent, length: 0, flags: .ack).frame()
    }

    /// A valid segment with one to three header fields mutated (TCP fields, IP options, or sent as
    /// IPv4 fragments); its payload stays consistent. Returns the frames to send.
    public static func consistent(_ harness: FuzzHarness, _ choices: inout some FuzzChoices) -> [[UInt8]] {
        let streamEnd = FuzzStreams.peerStreamLength
        var start = harness.peerSent - 2000 + choices.number(below: 6000)
        var length = choices.number(in: 0...FuzzHarness.peerSegmentSize)
        var segment = harness.peerSegment(at: 0, length: 0)
        var fragmentOffsets: [Int]?
        for _ in 0...choices.number(below: 3) {
            switch choices.number(below: 10) {
            case 8: segment.ipOptionBytes = choices.oneIn(2) ? [0x9e, 4, 0, 0] : choices.bytes(choices.number(below: 41))
            case 9: fragmentOffsets = [8 * choices.number(in: 1...4)]
            case 0: segment.flags = UInt8(truncatingIfNeeded: choices.word())
            case 1: segment.acknowledgment = choices.oneIn(2) ? choices.word() : segment.acknowledgment &+ UInt32(bitPattern: Int32(choices.number(below: 140_000) - 70_000))
            case 2: segment.window = UInt16(truncatingIfNeeded: choices.word())
            case 3: segment.optionBytes = options(harness, &choices)
            case 4: segment.urgentPointer = UInt16(truncatingIfNeeded: choices.word())
            case 5: start = choices.oneIn(3) ? harness.peerPosition(of: choices.word()) : start + choices.number(below: 140_000) - 70_000
            case 6: length = choices.number(below: 3) == 0 ? 0 : choices.number(in: 1...1460)
            default: segment.timeToLive = UInt8(truncatingIfNeeded: choices.word())
            }
        }
        // Only bytes the peer sends, and a FIN only where the peer's is.
        start = max(start, -70_000)
        length = max(min(length, streamEnd - start), 0)
        if segment.flags & TCPFlags.fin.rawValue != 0 && start + length != streamEnd { segment.flags &= ~TCPFlags.fin.rawValue }
        segment.sequence = harness.peerSequence(at: start)
        segment.payload = FuzzStreams.peerBytes(start..<start + length)
        segment.identification = UInt16(truncatingIfNeeded: choices.word())
        guard let fragmentOffsets, fragmentOffsets[0] < TCPSegmentRepr.fixedHeaderLength + length else { return [segment.frame()] }
        return segment.fragments(splittingAt: fragmentOffsets)
    }

    /// A segment near the receive window carrying bytes the peer never sent, made unacceptable in
    /// one of the ways RFC 9293, RFC 5961 and RFC 894 name.
    public static func hostile(_ harness: FuzzHarness, _ choices: inout some FuzzChoices) -> (kind: String, frame: [UInt8]) {
        let start = harness.stackAcknowledged + choices.number(below: 8000) - 1000
        var segment = harness.peerSegment(at: start, length: choices.number(in: 1...FuzzHarness.peerSegmentSize))
        segment.payload = segment.payload.map { $0 ^ 0x5A }
        let kind: String
        switch choices.number(below: 8) {
        case 0:
            kind = "bad checksum"
            segment.checksumError = UInt16(choices.number(in: 1...0xffff))
        case 1:
            kind = "broadcast MAC"
            segment.destinationMAC = .broadcast
        case 2:
            kind = "multicast MAC"
            segment.destinationMAC = MACAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01)
        case 3:
            kind = "another host's MAC"
            segment.destinationMAC = MACAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x99)
        case 4:
            kind = "another IP address"
            segment.destination = IPv4Address(198, 18, 0, 77)
        case 5:
            kind = "ACK above SND.NXT"
            segment.acknowledgment = harness.stackSequence(at: harness.stackSentEnd) &+ 1 &+ UInt32(choices.number(below: 1 << 30))
        case 6:  // SND.UNA is at least ISS + 1.
            kind = "ACK below SND.UNA - MAX.SND.WND"
            let maximumWindow = UInt32(FuzzHarness.peerWindow) << UInt32(FuzzHarness.peerWindowShift)
            segment.acknowledgment = harness.stackSequence(at: 0) &- maximumWindow &- 1 &- UInt32(choices.number(below: 1 << 29))
        default:
            if harness.peerFinSent {
                kind = "text after the FIN"
                segment.sequence = harness.peerSequence(at: FuzzStreams.peerStreamLength + 1 + choices.number(below: 2000))
            } else {
                kind = "bad checksum"
                segment.checksumError = 1
            }
        }
        return (kind, segment.frame())
    }

    /// A truncated valid frame, or random bytes (half of them behind a valid Ethernet header to us).
    public static func garbage(_ harness: FuzzHarness, _ choices: inout some FuzzChoices) -> [UInt8] {
        if choices.oneIn(2) {
            let frame = harness.peerSegment(at: harness.peerSent, length: choices.number(in: 1...200)).frame()
            return Array(frame.prefix(choices.number(below: frame.count)))
        }
        let header = choices.oneIn(2) ? harness.stackMAC.bytes + harness.peerMAC.bytes + [0x08, 0x00, 0x45, 0x00] : []
        return header + choices.bytes(choices.number(below: 120))
    }

    /// Option bytes: valid timestamps with a nearby TSval, malformed known options, or random bytes.
    private static func options(_ harness: FuzzHarness, _ choices: inout some FuzzChoices) -> [UInt8] {
        switch choices.number(below: 5) {
        case 0: return []
        case 1: return RawTCPOption.timestamps(value: harness.peerClock &+ UInt32(bitPattern: Int32(choices.number(below: 200) - 150)),
                                               echo: harness.stackTimestamp)
        case 2: return [UInt8(choices.number(in: 2...8)), UInt8(choices.number(below: 12))] + choices.bytes(choices.number(below: 10))
        case 3: return RawTCPOption.timestamps(value: harness.peerClock, echo: harness.stackTimestamp) + [5, 10] + choices.bytes(8)
        default: return choices.bytes(choices.number(below: 41))
        }
    }
}
