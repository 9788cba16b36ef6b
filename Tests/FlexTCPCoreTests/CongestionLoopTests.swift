import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Congestion-control loop")
struct CongestionLoopTests {
    /// A sends `count` bytes to B; returns A's flow and the pair when B has them all.
    static func bulkTransfer(impairment: LinkEmulatorSettings, count: Int) throws -> (StackPair, FlowIndex, Bool) {
        let configuration = StackPair.configuration { $0.offersECN = true; $0.minimumRetransmissionTimeout = 5 * StackPair.millisecond }
        let pair = try StackPair(a: configuration, b: configuration, impairment: impairment)
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: count, seed: 31)
        return (pair, flowA, pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB) && pair.b.received[flowB] == data)
    }

    /// The loop left slow start and the queue manager paces at its rate; returns the controller.
    static func loopLeftSlowStart(_ pair: StackPair, flow: FlowIndex) throws -> DCTCPRateController {
        let controller = try #require(pair.a.slowPath.congestionController(of: flow) as? DCTCPRateController)
        #expect(!controller.isInSlowStart)
        #expect(pair.a.fastPath.queueManager.rate(of: flow) == controller.rateBytesPerSecond)
        return controller
    }

    @Test("ECN marks above K on a 100 Mbit/s bottleneck end slow start and hold the rate within 1.5× the bottleneck; the queue manager paces at the loop's rate")
    func ecnConvergence() throws {
        var impairment = LinkEmulatorSettings()
        impairment.rateBitsPerSecond = 100_000_000
        impairment.propagationDelayNanoseconds = 20_000
        impairment.ecnMarkingThreshold = 10
        let (pair, flowA, complete) = try Self.bulkTransfer(impairment: impairment, count: 3_000_000)
        #expect(complete)
        let state = try #require(pair.a.fastPath.state(of: flowA))
        #expect(state.ecnMarkedBytes > 0)
        let controller = try Self.loopLeftSlowStart(pair, flow: flowA)
        #expect(controller.rateBytesPerSecond < 100_000_000 / 8 * 3 / 2)
    }

    @Test("Random loss: the loop sees fast retransmits, leaves slow start and its rate is the queue manager's")
    func lossHalvesRate() throws {
        var impairment = LinkEmulatorSettings()
        impairment.dropProbability = 0.01
        impairment.propagationDelayNanoseconds = 20_000
        impairment.seed = 5
        let (pair, flowA, complete) = try Self.bulkTransfer(impairment: impairment, count: 2_000_000)
        #expect(complete)
        let state = try #require(pair.a.fastPath.state(of: flowA))
        #expect(state.fastRetransmits > 0)
        _ = try Self.loopLeftSlowStart(pair, flow: flowA)
    }

    @Test("An uncongested flow sending small messages goes unpaced; a bulk transfer into ECN marks paces it again at the loop's rate")
    func applicationLimitedFlowUnpacedUntilCongestion() throws {
        var impairment = LinkEmulatorSettings()
        impairment.rateBitsPerSecond = 100_000_000
        impairment.propagationDelayNanoseconds = 20_000
        impairment.ecnMarkingThreshold = 10
        let configuration = StackPair.configuration { $0.offersECN = true; $0.minimumRetransmissionTimeout = 5 * StackPair.millisecond }
        let pair = try StackPair(a: configuration, b: configuration, impairment: impairment)
        let (flowA, flowB) = try pair.connect()
        // 64 B every 200 µs (320 kB/s), between the control steps (at whole milliseconds): under half the
        // initial 1.25 MB/s with nothing waiting at each step, an RPC-like flow.
        let message = StackPair.pattern(count: 64, seed: 34)
        let start = pair.now
        var sent = 0
        pair.run(step: 100_000) {
            let due = start + 100_000 + UInt64(sent) * 200_000
            if pair.now < start + 30 * StackPair.millisecond && pair.now >= due {
                sent += pair.a.send(message[...], on: flowA, now: pair.now) / 64
            }
            return pair.now >= start + 30 * StackPair.millisecond && pair.b.received[flowB, default: []].count == sent * 64
        }
        let light = try #require(pair.a.slowPath.congestionController(of: flowA) as? DCTCPRateController)
        #expect(!light.pacesFlow && light.isInSlowStart)
        #expect(pair.a.fastPath.queueManager.rate(of: flowA) == QueueManager.unlimitedRate)
        #expect(pair.b.received[flowB, default: []].count == sent * 64 && sent >= 150)

        let data = StackPair.pattern(count: 3_000_000, seed: 35)
        #expect(pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB))
        #expect(try #require(pair.a.fastPath.state(of: flowA)).ecnMarkedBytes > 0)
        let controller = try Self.loopLeftSlowStart(pair, flow: flowA)
        #expect(controller.pacesFlow && controller.rateBytesPerSecond < 100_000_000 / 8 * 3 / 2)
    }

    @Test("The programmed rate paces the sender in virtual time, whichever algorithm sets it",
          arguments: [try DCTCPConfiguration(maximumRateBytesPerSecond: 1_250_000, minimumRateBytesPerSecond: 1_250_000,
                                             initialRateBytesPerSecond: 1_250_000) as any CongestionControlAlgorithm,
                      try ConstantRatePolicy(bytesPerSecond: 1_250_000)])
    func pacingObservable(algorithm: any CongestionControlAlgorithm) throws {
        let configuration = StackPair.configuration { $0.congestionControl = algorithm }
        let pair = try StackPair(a: configuration)
        let (flowA, flowB) = try pair.connect()
        let start = pair.now
        let data = StackPair.pattern(count: 250_000, seed: 32)
        #expect(pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB))
        // 250 kB at 1.25 MB/s take 200 ms of virtual time; unpaced they take a few milliseconds.
        let elapsed = pair.now - start
        #expect(elapsed >= 190 * StackPair.millisecond && elapsed <= 230 * StackPair.millisecond)
    }

    @Test("A constant-rate policy holds its rate through losses: the queue manager paces every flow at the cap")
    func constantRateIgnoresLoss() throws {
        var impairment = LinkEmulatorSettings()
        impairment.dropProbability = 0.01
        impairment.seed = 6
        let policy = try ConstantRatePolicy(bytesPerSecond: 20_000_000)
        let configuration = StackPair.configuration { $0.congestionControl = policy; $0.minimumRetransmissionTimeout = 5 * StackPair.millisecond }
        let pair = try StackPair(a: configuration, b: configuration, impairment: impairment)
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: 1_000_000, seed: 33)
        #expect(pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB) && pair.b.received[flowB] == data)
        #expect(try #require(pair.a.fastPath.state(of: flowA)).fastRetransmits > 0)
        #expect(pair.a.fastPath.queueManager.rate(of: flowA) == policy.bytesPerSecond)
        #expect(pair.a.slowPath.congestionController(of: flowA)?.rateBytesPerSecond == policy.bytesPerSecond)
    }
}
