import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// A one-way transfer from A to B on a `StackPair` whose A → B direction the test controls: every
/// frame A sends reaches B `delay` after it was sent, unless `decide` drops a data segment (nil) or
/// holds it longer (the extra time), given the segment's offsets in the stream. B → A is not
/// touched. Frames due at the same time keep their order, so a held segment is overtaken.
struct SegmentRelay {
    let pair: StackPair
    let flowA: FlowIndex
    let flowB: FlowIndex
    let start: SequenceNumber

    init(configuration: SlowPathConfiguration) throws {
        pair = try StackPair(a: configuration, b: configuration)
        (flowA, flowB) = try pair.connect()
        start = try #require(pair.a.fastPath.state(of: flowA)).sendUnacknowledged
    }

    /// Sends `data`, at most `chunk` bytes each round of `step`, and runs until B has every byte (or
    /// `maximumRounds` ran); returns whether B got the stream intact.
    func transfer(_ data: [UInt8], chunk: Int = .max, step: UInt64 = 100_000, delay: UInt64 = 0, maximumRounds: Int = 20_000,
                  decide: (_ offsets: Range<Int>) -> UInt64?) -> Bool {
        var offset = 0
        var held: [(due: UInt64, frame: [UInt8])] = []
        let done = pair.link.run(step: step, maximumRounds: maximumRounds, until: { pair.b.received[flowB, default: []].count >= data.count }) { now in
            if offset < data.count { offset += pair.a.send(data[offset..<offset + min(chunk, data.count - offset)], on: flowA, now: now) }
            _ = pair.a.runRound(now: now)
            for frame in pair.wire.b.receiveCopies(maximum: 4096) {
                let range = Self.dataRange(of: frame).map { Int($0.start - start)..<Int($0.end - start) }
                guard let extra = range.map(decide) ?? 0 else { continue }
                held.append((now + delay + extra, frame))
            }
            for entry in held where entry.due <= now { #expect(pair.wire.a.transmit(entry.frame)) }
            held.removeAll { $0.due <= now }
            _ = pair.b.runRound(now: now)
            return true
        }
        return done && pair.b.received[flowB] == data
    }

    /// The sequence numbers of a TCP segment's payload, for a frame with payload (IPv4, no VLAN).
    static func dataRange(of frame: [UInt8]) -> (start: SequenceNumber, end: SequenceNumber)? {
        guard frame.count > 54, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return nil }
        let ipHeader = Int(frame[14] & 0x0F) * 4
        let totalLength = Int(frame[16]) << 8 | Int(frame[17])
        let tcp = 14 + ipHeader
        let tcpHeader = Int(frame[tcp + 12] >> 4) * 4
        let payload = totalLength - ipHeader - tcpHeader
        guard payload > 0 else { return nil }
        let sequence = SequenceNumber(frame[tcp + 4..<tcp + 8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        return (sequence, sequence + UInt32(payload))
    }
}
