import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Fast path ECN signalling")
struct FastPathECNTests {
    /// Moves whatever A sent to B, CE-marking every IPv4 frame on the way, and B's answers back to A.
    private func exchange(_ pair: FastPathPair, markingCE: Bool) -> [TCPFlags] {
        var flagsSeen: [TCPFlags] = []
        _ = pair.wire.b.receive(into: pair.receiveBatch)
        for index in 0..<pair.receiveBatch.count {
            let frame = pair.receiveBatch[index]
            guard let ethernet = try? EthernetFrame(checking: frame.bytes, length: frame.length),
                  let ip = try? IPv4Packet(checking: ethernet.payloadBase, length: ethernet.payloadLength),
                  let tcp = try? TCPSegment(checking: UnsafeRawPointer(ip.payloadBase), length: ip.payloadLength) else { continue }
            if markingCE && ip.ecn != .notECT { ip.updateECN(.ce) }
            if tcp.payloadLength > 0 { flagsSeen.append(tcp.flags) }
        }
        pair.b.processReceived(pair.receiveBatch, now: pair.clock.now())
        pair.wire.b.releaseReceived(pair.receiveBatch)
        pair.b.clearEvents()
        pair.takeInUnread(at: pair.a)
        return flagsSeen
    }

    @Test("CE on data comes back as ECE; the sender's next new data carries CWR once")
    func congestionWindowReduced() throws {
        let pair = try FastPathPair(options: [.timestamps, .explicitCongestionNotification])
        let data = FastPathPair.pattern(count: 4 * 1448, seed: 12)
        _ = pair.send(data[...], from: pair.a)
        pair.a.transmit(now: pair.clock.now(), maximumSegments: 1)
        let first = exchange(pair, markingCE: true)
        #expect(first.count == 1 && !first[0].contains(.cwr))
        let afterMark = try #require(pair.a.state(of: 0))
        #expect(afterMark.ecnMarkedBytes == 1448, "the ACK of the CE-marked segment carried ECE")
        #expect(afterMark.congestionWindowReducedDue)

        pair.a.transmit(now: pair.clock.now(), maximumSegments: 2)
        let next = exchange(pair, markingCE: false)
        #expect(next.count == 2)
        #expect(next.first?.contains(.cwr) == true, "the first new data segment after ECE carries CWR")
        #expect(next.last?.contains(.cwr) == false, "only once")
        #expect(try #require(pair.a.state(of: 0)).congestionWindowReducedDue == false)
    }

    @Test("without negotiated ECN, data is not ECT and ECE never leads to CWR")
    func withoutECN() throws {
        let pair = try FastPathPair(options: [.timestamps])
        let data = FastPathPair.pattern(count: 2 * 1448, seed: 13)
        _ = pair.send(data[...], from: pair.a)
        pair.a.transmit(now: pair.clock.now(), maximumSegments: 2)
        let flags = exchange(pair, markingCE: true)
        #expect(flags.count == 2 && flags.allSatisfy { !$0.contains(.cwr) })
        let state = try #require(pair.a.state(of: 0))
        #expect(state.ecnMarkedBytes == 0, "not-ECT packets were not marked, so no ECE came back")
        #expect(!state.congestionWindowReducedDue)
    }
}
