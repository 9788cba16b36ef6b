import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Per-application connection limit on a listener (service mode's ring partitions)")
struct ApplicationListenerLimitTests {
    @Test("A SYN to a listener whose application holds its last connection gets an RST and is counted, though the stack has room")
    func synBeyondApplicationLimitIsReset() throws {
        // Two applications of one context each, one ring pair each: context 1's listener may hold one connection.
        let pairBytes = 2 * 64 * 1024
        let pair = try StackPair(a: StackPair.configuration {
            $0.ringPartition = PayloadRingPartition(count: 2, contextsPerPartition: 1, stride: 4 * pairBytes, firstRingOffset: 0,
                                                    pairsPerPartition: 1)
        })
        try pair.a.slowPath.listen(port: 8080, backlog: 4, context: 1)
        let peer = RawPeer(pair: pair)
        try peer.send(sourcePort: 5000, destinationPort: 8080, sequence: 100, flags: .syn, options: TCPOptions(maximumSegmentSize: 1460))
        pair.a.step(now: pair.now)
        let synAck = try #require(peer.receivedSegments().first)
        #expect(synAck.flags == [.syn, .ack])
        try peer.send(sourcePort: 5000, destinationPort: 8080, sequence: 101, acknowledgment: synAck.sequenceNumber.rawValue &+ 1, flags: .ack)
        pair.a.step(now: pair.now)
        #expect(pair.a.slowPath.accept(port: 8080) != nil, "the first connection is within the limit")

        try peer.send(sourcePort: 5001, destinationPort: 8080, sequence: 900, flags: .syn, options: TCPOptions(maximumSegmentSize: 1460))
        pair.a.step(now: pair.now)
        let answer = try #require(peer.receivedSegments().first)
        #expect(answer.flags.contains(.rst) && !answer.flags.contains(.syn), "refused at once: \(answer.flags)")
        #expect(answer.acknowledgmentNumber.rawValue == 901)
        #expect(pair.a.slowPath.counters.synsResetApplicationLimit == 1)
        #expect(pair.a.slowPath.counters.synAcksSent == 1)
        #expect(pair.a.slowPath.ringAllocator.refusals(forContext: 1) == 1, "counted as the application's limit hit")
        #expect(pair.a.slowPath.availableRingPairs == 1, "the other application's pair is still free")
    }
}
