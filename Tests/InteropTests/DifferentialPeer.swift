#if os(Linux)
import FlexTCPFuzz
import FlexWire

/// One connection (or attempt) the scripted peer makes to the target, by source port.
struct PeerConnection {
    let sourcePort: UInt16
    let destinationPort: UInt16
    /// Our ISN, and the target's ISS once its SYN-ACK arrived.
    let initialSequence: UInt32
    var targetInitialSequence: UInt32?
    /// Our SND.NXT, and the end of the data we sent (before any FIN).
    var sendNext: UInt32
    var dataEnd: UInt32
    /// TSval we put in every segment when timestamps were negotiated (nil: no timestamps).
    var timestampValue: UInt32?
    var timestampEcho: UInt32 = 0
}

/// A scripted peer on a `DifferentialRig`: crafts segments for its connections and reduces the
/// target's replies to what Linux and FlexTCP should share.
///
/// Contract: a reply reads "FLAGS seq=S ack=A len=L", with only SYN, FIN, RST and ACK among the flags,
/// S relative to the target's ISS when known (absolute otherwise), A relative to our ISN (omitted
/// without ACK); repeats of the same reply in a row count once (a retransmission is not a difference).
final class DifferentialPeer {
    let rig: DifferentialRig
    private var nextSourcePort: UInt16 = 41_000

    init(rig: DifferentialRig) { self.rig = rig }

    /// A fresh connection record to `port` (no segment sent).
    func newConnection(to port: UInt16 = DifferentialRig.listenPort, timestamps: Bool = false) -> PeerConnection {
        nextSourcePort += 1
        let initial: UInt32 = 0x1000_0000 &+ UInt32(nextSourcePort) &* 0x10_0000
        return PeerConnection(sourcePort: nextSourcePort, destinationPort: port, initialSequence: initial, sendNext: initial,
                              dataEnd: initial &+ 1, timestampValue: timestamps ? 1000 : nil)
    }

    /// A segment on `connection` at sequence `sequence` (default SND.NXT) acknowledging `acknowledgment`
    /// (default the target's ISS + 1), with timestamps if negotiated.
    func segment(_ connection: PeerConnection, flags: TCPFlags, sequence: UInt32? = nil, acknowledgment: UInt32? = nil,
                 payload: [UInt8] = [], options: [UInt8] = []) -> CraftedSegment {
        var segment = CraftedSegment(sourceMAC: rig.peerPort.macAddress, destinationMAC: rig.targetMAC,
                                     source: DifferentialRig.peerAddress, destination: DifferentialRig.targetAddress,
                                     sourcePort: connection.sourcePort, destinationPort: connection.destinationPort,
                                     sequence: sequence ?? connection.sendNext,
                                     acknowledgment: flags.contains(.ack) ? acknowledgment ?? (connection.targetInitialSequence ?? 0) &+ 1 : 0,
                                     flags: flags, window: 65535)
        if let value = connection.timestampValue {
            segment.optionBytes = RawTCPOption.timestamps(value: value, echo: connection.timestampEcho)
        }
        segment.optionBytes += options
        segment.payload = payload
        return segment
    }

    /// Sends `segment` and returns the target's replies on the connection within the collect window.
    func exchange(_ connection: PeerConnection, _ segment: CraftedSegment, milliseconds: UInt64 = 150) -> [String] {
        rig.send(segment)
        return describe(rig.collect(port: connection.sourcePort, milliseconds: milliseconds), on: connection)
    }

    /// SYN (MSS 1460, plus timestamps if the connection uses them) then, on the SYN-ACK, the final
    /// ACK and 4 bytes of data, whose ACK is awaited. Returns the established connection.
    func establish(timestamps: Bool = false) -> PeerConnection? {
        var connection = newConnection(timestamps: timestamps)
        rig.send(segment(connection, flags: .syn, options: RawTCPOption.maximumSegmentSize(1460)))
        let replies = rig.collect(port: connection.sourcePort, milliseconds: 1000) { $0.contains { $0.flags == [.syn, .ack] } }
        guard let synAcknowledgment = replies.first(where: { $0.flags == [.syn, .ack] }) else { return nil }
        connection.targetInitialSequence = synAcknowledgment.sequence
        connection.sendNext &+= 1
        if timestamps {
            guard let echo = synAcknowledgment.header.options.timestamps?.value else { return nil }
            connection.timestampEcho = echo
        }
        rig.send(segment(connection, flags: .ack))
        rig.send(segment(connection, flags: [.ack, .psh], payload: Array("ping".utf8)))
        connection.sendNext &+= 4
        connection.dataEnd = connection.sendNext
        let acknowledged = rig.collect(port: connection.sourcePort, milliseconds: 500) { $0.contains { $0.acknowledgment == connection.sendNext } }
        return acknowledged.contains { $0.acknowledgment == connection.sendNext } ? connection : nil
    }

    /// RCV.NXT as the target reports it: the last data byte is sent again, and a duplicate is
    /// answered at once with an ACK of everything received.
    func probe(_ connection: PeerConnection) -> [String] {
        exchange(connection, segment(connection, flags: [.ack, .psh], sequence: connection.dataEnd &- 1, payload: Array("g".utf8)))
    }

    /// Aborts the connection with an exact RST (no reply expected).
    func reset(_ connection: PeerConnection) {
        rig.send(segment(connection, flags: .rst))
    }

    func describe(_ segments: [ObservedSegment], on connection: PeerConnection) -> [String] {
        var lines: [String] = []
        for segment in segments {
            let flags = segment.flags.intersection([.syn, .fin, .rst, .ack])
            let names = [(TCPFlags.syn, "SYN"), (.fin, "FIN"), (.rst, "RST"), (.ack, "ACK")].filter { flags.contains($0.0) }.map(\.1)
            let sequence = segment.sequence &- (connection.targetInitialSequence ?? 0)
            var line = "\(names.joined(separator: "|")) seq=\(sequence)"
            if flags.contains(.ack) { line += " ack=\(Int32(bitPattern: segment.acknowledgment &- connection.initialSequence))" }
            line += " len=\(segment.payload.count)"
            if lines.last != line { lines.append(line) }
        }
        return lines
    }
}
#endif
