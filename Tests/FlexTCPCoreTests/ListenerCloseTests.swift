import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Slow path listener close")
struct ListenerCloseTests {
    @Test("Closing a listener resets its half-open and unaccepted connections, answers later SYNs with RST and frees the port")
    func closeListener() throws {
        let pair = try StackPair()
        let unaccepted = try pair.connectUnaccepted(port: 8080)
        let unacceptedPort = try #require(pair.a.fastPath.state(of: unaccepted)).remotePort

        // A handshake left half-open: B's end answers nothing (its stack is not stepped from here on).
        let peer = RawPeer(pair: pair)
        _ = peer.receivedSegments()
        try peer.send(sourcePort: 4000, destinationPort: 8080, sequence: 1000, flags: .syn)
        pair.a.step(now: pair.now)
        let synAck = try #require(peer.receivedSegments().first { $0.destinationPort == 4000 })
        #expect(synAck.flags == [.syn, .ack] && pair.a.slowPath.halfOpenCount == 1)

        #expect(pair.a.slowPath.closeListener(port: 8080, now: pair.now))
        #expect(!pair.a.slowPath.closeListener(port: 8080, now: pair.now), "nothing listens any more")
        pair.a.step(now: pair.now)
        let resets = peer.receivedSegments()
        let halfOpenReset = try #require(resets.first { $0.destinationPort == 4000 })
        #expect(halfOpenReset.flags == .rst && halfOpenReset.sequenceNumber == synAck.sequenceNumber + 1)
        #expect(resets.contains { $0.destinationPort == unacceptedPort && $0.flags.contains(.rst) })
        #expect(pair.a.slowPath.halfOpenCount == 0 && pair.a.slowPath.state(of: unaccepted) == nil)
        #expect(pair.a.events.last == .aborted(flow: unaccepted, opaque: 0, context: 0, reason: .listenerClosed))

        // RFC 9293 §3.10.7.1: a SYN to the closed port gets <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>.
        try peer.send(sourcePort: 4001, destinationPort: 8080, sequence: 2000, flags: .syn)
        pair.a.step(now: pair.now)
        let answer = try #require(peer.receivedSegments().first { $0.destinationPort == 4001 })
        #expect(answer.flags == [.rst, .ack] && answer.acknowledgmentNumber.rawValue == 2001)

        try pair.a.slowPath.listen(port: 8080, backlog: 4)
    }
}
