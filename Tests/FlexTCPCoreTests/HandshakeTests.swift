import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Slow path handshakes")
struct HandshakeTests {
    @Test("Both sides offer everything: timestamps, SACK, window scaling from the ring size, MSS less the timestamp option")
    func fullOptions() throws {
        let pair = try StackPair()
        let (flowA, flowB) = try pair.connect()
        let stateA = try #require(pair.a.fastPath.state(of: flowA))
        let stateB = try #require(pair.b.fastPath.state(of: flowB))
        // A 64 KiB ring needs shift 1 to fit the 16-bit window field.
        #expect(pair.a.slowPath.configuration.receiveWindowShift == 1)
        for state in [stateA, stateB] {
            #expect(state.options == [.timestamps, .selectiveAcknowledgment])
            #expect(state.sendWindowShift == 1 && state.receiveWindowShift == 1)
            #expect(state.maximumSegmentSize == 1460 - 12)
        }
        // The SYN-ACK's window is never scaled (65535 at most); the completing ACK's is.
        #expect(stateA.peerWindow == 65535 && stateB.peerWindow == 64 * 1024)
        #expect(stateA.sendUnacknowledged == stateB.receiveNext && stateB.sendUnacknowledged == stateA.receiveNext)
        #expect(stateA.localPort == stateB.remotePort && stateA.remotePort == 80)
        #expect(pair.a.slowPath.configuration.ephemeralPorts.contains(stateA.localPort))
        #expect(pair.a.events == [.established(flow: flowA, opaque: 42, remoteAddress: StackPair.addressB, remotePort: 80,
                                                 acceptedBy: nil)])
        #expect(pair.b.events == [.established(flow: flowB, opaque: 7, remoteAddress: StackPair.addressA,
                                                 remotePort: stateA.localPort, acceptedBy: 80)])
        #expect(pair.a.slowPath.counters.activeOpens == 1 && pair.b.slowPath.counters.passiveOpens == 1)
        #expect(pair.a.slowPath.counters.synsSent == 1 && pair.b.slowPath.counters.synAcksSent == 1)
        #expect(pair.b.slowPath.halfOpenCount == 0)
    }

    @Test("A peer refusing timestamps, window scaling and SACK gets a plain connection that still moves data")
    func peerRefusesOptions() throws {
        let pair = try StackPair(b: StackPair.configuration {
            $0.offersTimestamps = false; $0.offersWindowScale = false; $0.offersSelectiveAcknowledgment = false
        })
        let (flowA, flowB) = try pair.connect()
        let stateA = try #require(pair.a.fastPath.state(of: flowA))
        #expect(stateA.options == [])
        #expect(stateA.sendWindowShift == 0 && stateA.receiveWindowShift == 0)
        #expect(stateA.maximumSegmentSize == 1460)
        #expect(stateA.peerWindow == 65535)
        let data = StackPair.pattern(count: 200_000, seed: 3)
        #expect(pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB))
        #expect(pair.b.received[flowB] == data)
    }

    @Test("Timestamps without window scaling, and window scaling without timestamps")
    func partialOptions() throws {
        let noScaling = try StackPair(a: StackPair.configuration { $0.offersWindowScale = false })
        let (flowA, _) = try noScaling.connect()
        let stateA = try #require(noScaling.a.fastPath.state(of: flowA))
        #expect(stateA.options == [.timestamps, .selectiveAcknowledgment] && stateA.sendWindowShift == 0 && stateA.receiveWindowShift == 0)

        let noTimestamps = try StackPair(a: StackPair.configuration { $0.offersTimestamps = false })
        let (flowC, flowD) = try noTimestamps.connect()
        let stateC = try #require(noTimestamps.a.fastPath.state(of: flowC))
        let stateD = try #require(noTimestamps.b.fastPath.state(of: flowD))
        #expect(stateC.options == [.selectiveAcknowledgment] && stateD.options == [.selectiveAcknowledgment])
        #expect(stateC.sendWindowShift == 1 && stateD.receiveWindowShift == 1)
    }

    @Test("ECN is set up only when both sides ask for it")
    func explicitCongestionNotification() throws {
        let both = try StackPair(a: StackPair.configuration { $0.offersECN = true }, b: StackPair.configuration { $0.offersECN = true })
        let (flowA, flowB) = try both.connect()
        #expect(try #require(both.a.fastPath.state(of: flowA)).options.contains(.explicitCongestionNotification))
        #expect(try #require(both.b.fastPath.state(of: flowB)).options.contains(.explicitCongestionNotification))

        let one = try StackPair(a: StackPair.configuration { $0.offersECN = true })
        let (flowC, flowD) = try one.connect()
        #expect(!(try #require(one.a.fastPath.state(of: flowC))).options.contains(.explicitCongestionNotification))
        #expect(!(try #require(one.b.fastPath.state(of: flowD))).options.contains(.explicitCongestionNotification))
    }

    @Test("Lost SYNs are retransmitted with back-off until one gets through")
    func synRetransmission() throws {
        let pair = try StackPair()
        let flow = try pair.connectWhileDiscarding(at: pair.b)
        // 10 ms, then 20 ms: the third SYN is due 30 ms after the first.
        pair.run(maximumRounds: 250)
        #expect(pair.a.slowPath.counters.synRetransmissions == 1)
        pair.run(maximumRounds: 100)
        #expect(pair.a.slowPath.counters.synRetransmissions == 2)
        pair.b.discardsReceived = false
        #expect(pair.run { pair.a.slowPath.state(of: flow) == .established })
        #expect(pair.b.slowPath.accept(port: 80) != nil)
    }

    @Test("Lost SYN-ACKs are retransmitted; a half-open entry is dropped after its retries")
    func synAckRetransmission() throws {
        let pair = try StackPair()
        let flow = try pair.connectWhileDiscarding(at: pair.a)
        pair.run(maximumRounds: 50)
        #expect(pair.b.slowPath.halfOpenCount == 1)
        pair.a.discardsReceived = false
        #expect(pair.run { pair.a.slowPath.state(of: flow) == .established })
        #expect(pair.b.slowPath.counters.synAcksSent >= 2)

        // A client that vanishes after its SYN: the SYN-ACK is retried synAckRetries times, then forgotten.
        let second = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        pair.a.step(now: pair.now)
        pair.a.slowPath.close(flow: second, now: pair.now)
        pair.a.discardsReceived = true
        let sentBefore = pair.b.slowPath.counters.synAcksSent
        #expect(pair.run { pair.b.slowPath.counters.synAckTimeouts == 1 })
        #expect(pair.b.slowPath.halfOpenCount == 0)
        #expect(pair.b.slowPath.counters.synAcksSent - sentBefore == 1 + UInt64(pair.b.slowPath.configuration.synAckRetries))
    }

    @Test("connect fails after its SYN retries, and on a reset from a closed port")
    func connectFailures() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.synRetries = 3 })
        let refused = try pair.a.slowPath.connect(to: StackPair.addressB, port: 81, opaque: 6, now: pair.now)
        #expect(pair.run { !pair.a.events.isEmpty })
        #expect(pair.a.events == [.connectFailed(flow: refused, opaque: 6, context: 0, reason: .resetByPeer)])
        #expect(pair.b.slowPath.counters.segmentsToUnknownFlows == 1 && pair.b.slowPath.counters.resetsSent == 1)

        pair.a.events.removeAll()
        pair.b.discardsReceived = true
        let flow = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, opaque: 5, now: pair.now)
        #expect(pair.run { !pair.a.events.isEmpty })
        #expect(pair.a.events == [.connectFailed(flow: flow, opaque: 5, context: 0, reason: .timedOut)])
        #expect(pair.a.slowPath.counters.synsSent == 1 + 4)
        #expect(pair.a.slowPath.counters.synRetransmissions == 3)
        #expect(pair.a.slowPath.state(of: flow) == nil)
    }

    @Test("connect refuses unroutable destinations and runs out of ephemeral ports cleanly")
    func connectRefusals() throws {
        let pair = try StackPair(a: StackPair.configuration { $0.ephemeralPorts = 50000...50001 })
        #expect(throws: SlowPathError.noRoute(IPv4Address(10, 0, 0, 1))) {
            _ = try pair.a.slowPath.connect(to: IPv4Address(10, 0, 0, 1), port: 80, now: pair.now)
        }
        _ = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        _ = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        #expect(throws: SlowPathError.noEphemeralPort) {
            _ = try pair.a.slowPath.connect(to: StackPair.addressB, port: 80, now: pair.now)
        }
        // Another remote port is another 4-tuple.
        _ = try pair.a.slowPath.connect(to: StackPair.addressB, port: 81, now: pair.now)
    }
}
