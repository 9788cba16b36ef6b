import FlexWire
import Testing

/// A segment the stack sent, as the peer's end of the wire saw it.
struct SentSegment: CustomStringConvertible {
    let segment: TCPSegmentRepr
    let payload: [UInt8]
    let ethernetDestination: MACAddress

    var description: String {
        "\(FlagNames.describe(segment.flags)) seq \(segment.sequenceNumber) ack \(segment.acknowledgmentNumber) "
            + "win \(segment.window) len \(payload.count) \(segment.options)"
    }
}

/// What a script expects the stack to send next: the flags exactly, and every other field the
/// script names (nil: not checked). Options are compared whole except the TSval, which follows our
/// clock; `timestampEcho` checks the TSecr alone.
struct ExpectedSegment: CustomStringConvertible {
    var flags: TCPFlags
    var seq: SequenceNumber?
    var ack: SequenceNumber?
    var window: UInt16?
    var payload: [UInt8]?
    var payloadLength: Int?
    var options: TCPOptions?
    var timestampEcho: UInt32?

    /// A segment with exactly `flags`; `payloadLength` 0 unless `payload` or `payloadLength` says otherwise.
    static func segment(flags: TCPFlags, seq: SequenceNumber? = nil, ack: SequenceNumber? = nil, window: UInt16? = nil,
                        payload: [UInt8]? = nil, payloadLength: Int? = nil, options: TCPOptions? = nil,
                        timestampEcho: UInt32? = nil) -> ExpectedSegment {
        ExpectedSegment(flags: flags, seq: seq, ack: ack, window: window, payload: payload,
                        payloadLength: payloadLength ?? payload?.count ?? 0, options: options, timestampEcho: timestampEcho)
    }

    var description: String {
        var text = FlagNames.describe(flags)
        if let seq { text += " seq \(seq)" }
        if let ack { text += " ack \(ack)" }
        if let window { text += " win \(window)" }
        if let payloadLength { text += " len \(payloadLength)" }
        if let options { text += " \(options)" }
        if let timestampEcho { text += " TSecr \(timestampEcho)" }
        return text
    }

    func check(_ sent: SentSegment, sourceLocation: SourceLocation) {
        let segment = sent.segment
        #expect(segment.flags == flags, "flags of \(sent), expected \(self)", sourceLocation: sourceLocation)
        if let seq { #expect(segment.sequenceNumber == seq, "SEQ of \(sent), expected \(self)", sourceLocation: sourceLocation) }
        if let ack { #expect(segment.acknowledgmentNumber == ack, "ACK of \(sent), expected \(self)", sourceLocation: sourceLocation) }
        if let window { #expect(segment.window == window, "window of \(sent), expected \(self)", sourceLocation: sourceLocation) }
        if let payloadLength {
            #expect(sent.payload.count == payloadLength, "length of \(sent), expected \(self)", sourceLocation: sourceLocation)
        }
        if let payload { #expect(sent.payload == payload, "payload of \(sent)", sourceLocation: sourceLocation) }
        if var options {
            if let value = segment.options.timestamps?.value { options.timestamps?.value = value }
            #expect(segment.options == options, "options of \(sent), expected \(self)", sourceLocation: sourceLocation)
        }
        if let timestampEcho {
            #expect(segment.options.timestamps?.echoReply == timestampEcho, "TSecr of \(sent), expected \(self)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// Flags as tcpdump-like text for messages.
enum FlagNames {
    static func describe(_ flags: TCPFlags) -> String {
        let names: [(TCPFlags, String)] = [(.syn, "SYN"), (.fin, "FIN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK"), (.urg, "URG"),
                                           (.ece, "ECE"), (.cwr, "CWR")]
        let present = names.filter { flags.contains($0.0) }.map(\.1)
        return present.isEmpty ? "<no flags>" : present.joined(separator: "|")
    }
}

/// Sequence numbers written as literals in scripts (`seq: 5000`).
extension SequenceNumber: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: UInt32) { self.init(value) }
}
