import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Slow path under SYN floods")
struct SlowPathFloodTests {
    @Test("A SYN flood is answered with cookies, memory stays bounded, and an established flow keeps moving data")
    func synFlood() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.synQueueCapacity = 16 })
        let (flowA, flowB) = try pair.connect()
        try pair.a.slowPath.listen(port: 8080, backlog: 4)
        let freePairs = pair.a.slowPath.availableRingPairs
        let peer = RawPeer(pair: pair)
        let data = StackPair.pattern(count: 400_000, seed: 8)
        var offset = 0
        var flooded = 0
        var largestHalfOpen = 0
        let total = 3000
        let finished = pair.run {
            if offset < data.count { offset += pair.a.send(data[offset...], on: flowA, now: pair.now) }
            for _ in 0..<40 where flooded < total {
                let source = IPv4Address(198, 18, UInt8(1 + flooded / 250), UInt8(1 + flooded % 250))
                try? peer.send(sourcePort: UInt16(1024 + flooded), destinationPort: 8080, sequence: UInt32(flooded) &* 7919,
                               flags: .syn, options: TCPOptions(maximumSegmentSize: 1460), source: source)
                flooded += 1
            }
            largestHalfOpen = max(largestHalfOpen, pair.a.slowPath.halfOpenCount)
            return flooded == total && pair.b.received[flowB, default: []].count >= data.count
        }
        #expect(finished)
        pair.run(maximumRounds: 3)
        // The queue holds at most one entry per free connection slot; cookies answer the rest.
        let queued = min(16, freePairs)
        #expect(largestHalfOpen == queued)
        #expect(pair.b.received[flowB] == data)
        let counters = pair.a.slowPath.counters
        #expect(counters.synsReceived == UInt64(total))
        #expect(counters.cookiesSent == UInt64(total - queued))
        #expect(pair.a.slowPath.availableRingPairs == freePairs)
        // The half-open entries time out after their SYN-ACK retries.
        #expect(pair.run(step: StackPair.millisecond) { pair.a.slowPath.halfOpenCount == 0 })
    }

    @Test("A cookie handshake completes with the options the cookie kept; data on its ACK is delivered; forged ACKs get resets")
    func cookieHandshake() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.synQueueCapacity = 0 })
        try pair.a.slowPath.listen(port: 8080, backlog: 4, opaque: 3)
        let peer = RawPeer(pair: pair)
        try peer.send(sourcePort: 5000, destinationPort: 8080, sequence: 100, flags: .syn,
                      options: TCPOptions(maximumSegmentSize: 1460, windowScale: 7, sackPermitted: true,
                                          timestamps: TCPTimestamps(value: 555, echoReply: 0)))
        pair.a.step(now: pair.now)
        let synAck = try #require(peer.receivedSegments().first)
        #expect(synAck.flags == [.syn, .ack] && synAck.acknowledgmentNumber.rawValue == 101)
        #expect(synAck.options.maximumSegmentSize == 1460 && synAck.options.windowScale == 1 && synAck.options.sackPermitted)
        let timestamps = try #require(synAck.options.timestamps)
        #expect(timestamps.echoReply == 555)
        #expect(pair.a.slowPath.halfOpenCount == 0 && pair.a.slowPath.counters.cookiesSent == 1)

        // A forged ACK (wrong cookie) is refused with a reset.
        try peer.send(sourcePort: 5000, destinationPort: 8080, sequence: 101, acknowledgment: synAck.sequenceNumber.rawValue &+ 2,
                      flags: .ack, options: TCPOptions(timestamps: TCPTimestamps(value: 556, echoReply: timestamps.value)))
        pair.a.step(now: pair.now)
        #expect(pair.a.slowPath.counters.cookiesForged == 1)
        #expect(peer.receivedSegments().map(\.flags) == [.rst])

        let hello = Array("hello".utf8)
        try peer.send(sourcePort: 5000, destinationPort: 8080, sequence: 101, acknowledgment: synAck.sequenceNumber.rawValue &+ 1,
                      flags: [.ack, .psh], options: TCPOptions(timestamps: TCPTimestamps(value: 557, echoReply: timestamps.value)),
                      payload: hello)
        pair.a.step(now: pair.now)
        #expect(pair.a.slowPath.counters.cookiesAccepted == 1)
        let flow = try #require(pair.a.slowPath.accept(port: 8080))
        let state = try #require(pair.a.fastPath.state(of: flow))
        #expect(state.options == [.timestamps, .selectiveAcknowledgment] && state.sendWindowShift == 7 && state.receiveWindowShift == 1)
        #expect(state.maximumSegmentSize == 1460 - 12)
        #expect(state.receiveNext.rawValue == 101 + 5 && state.sendUnacknowledged == synAck.sequenceNumber + 1)
        #expect(pair.a.received[flow] == hello)
        #expect(pair.a.events == [.established(flow: flow, opaque: 3, remoteAddress: StackPair.addressB, remotePort: 5000,
                                                 acceptedBy: 8080)])
    }

    @Test("A full accept backlog drops new SYNs and completing ACKs until the application accepts")
    func backlogFull() throws {
        let pair = try StackPair()
        try pair.b.slowPath.listen(port: 80, backlog: 1)
        let first = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        #expect(pair.run { pair.a.slowPath.state(of: first) == .established })
        let second = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        pair.run(maximumRounds: 300)
        #expect(pair.a.slowPath.state(of: second) == .synSent)
        #expect(pair.b.slowPath.counters.synsDroppedBacklogFull >= 1)
        #expect(pair.b.slowPath.accept(port: 80) != nil)
        #expect(pair.run(step: StackPair.millisecond) { pair.a.slowPath.state(of: second) == .established })
        #expect(pair.b.slowPath.accept(port: 80) != nil)
    }
}
