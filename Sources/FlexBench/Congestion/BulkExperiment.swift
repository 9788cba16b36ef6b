import FlexPort
import FlexTCPCore

/// The run every congestion-control experiment shares: `senderHosts` hosts with
/// `connectionsPerHost` bulk connections each send into host 0 through the switch of `fabric`,
/// every host on FlexTCP with rate-based DCTCP, for `duration` of virtual time, checking every byte.
///
/// Contract: deterministic for the same settings. The outcome holds each receiver connection's
/// delivered bytes every `sampleNanoseconds` from the start, the bottleneck link (the switch's port
/// towards host 0) and its longest queue after `warmUpNanoseconds`.
struct BulkExperiment {
    var senderHosts: Int
    var connectionsPerHost: Int
    var fabric: ExperimentFabric
    var durationNanoseconds: UInt64
    var warmUpNanoseconds: UInt64
    var sampleNanoseconds: UInt64
    /// Probability that the switch drops a frame towards host 0 (the data direction) once the
    /// connections are open.
    var lossTowardsReceiver = 0.0

    struct Outcome {
        /// Per sample time (0, s, 2s, …), each receiver connection's delivered bytes.
        var samples: [[UInt64]]
        var bottleneck: LinkEmulator
        var maximumQueueAfterWarmUp: Int
        var corruptions: Int
        /// Payload bytes per frame byte at full-sized segments.
        var payloadFraction: Double
        /// The senders' fast retransmits, retransmission timeouts and segments sent again.
        var fastRetransmits: UInt64
        var retransmissionTimeouts: UInt64
        var segmentsRetransmitted: UInt64

        var bytesDelivered: UInt64 { samples.last?.reduce(0, &+) ?? 0 }
    }

    func run() throws -> Outcome {
        let (hosts, senderEnds, receiverFlows) = try CongestionExperimentStack.connectedHosts(
            fabric: fabric, senderHosts: senderHosts, connectionsPerHost: connectionsPerHost, congestionControl: try fabric.dctcp())
        let senders = Array(1...senderHosts)
        let streams = BulkStreams(hosts: hosts, senders: senderEnds, receiver: 0, receiverFlows: receiverFlows, seed: fabric.seed)
        let bottleneck = hosts.fabric.egress(0)
        // Loss from here on: a lost SYN would wait a second for its retransmission.
        bottleneck.settings.dropProbability = lossTowardsReceiver
        let start = hosts.now
        var samples: [[UInt64]] = [streams.delivered]
        var maximumQueue = 0
        while hosts.now &- start < durationNanoseconds {
            hosts.step()
            streams.pump()
            let elapsed = hosts.now &- start
            if elapsed > warmUpNanoseconds { maximumQueue = max(maximumQueue, bottleneck.queuedFrames) }
            if elapsed >= UInt64(samples.count) &* sampleNanoseconds { samples.append(streams.delivered) }
        }
        let states = senderEnds.compactMap { hosts.stacks[$0.host].fastPath.state(of: $0.flow) }
        let mss = Double(states.first?.maximumSegmentSize ?? 1448)
        return Outcome(samples: samples, bottleneck: bottleneck, maximumQueueAfterWarmUp: maximumQueue, corruptions: streams.corruptions,
                       payloadFraction: mss / (mss + 66), fastRetransmits: states.reduce(0) { $0 &+ UInt64($1.fastRetransmits) },
                       retransmissionTimeouts: senders.reduce(0) { $0 &+ hosts.stacks[$1].slowPath.counters.retransmissionTimeouts },
                       segmentsRetransmitted: senders.reduce(0) { $0 &+ hosts.stacks[$1].fastPath.segmentsRetransmitted })
    }

    /// Each connection's goodput in bits per second between two samples of delivered bytes.
    static func rates(from earlier: [UInt64], to later: [UInt64], seconds: Double) -> [Double] {
        var rates: [Double] = []
        rates.reserveCapacity(later.count)
        for index in later.indices { rates.append(Double(later[index] &- earlier[index]) * 8 / seconds) }
        return rates
    }
}
