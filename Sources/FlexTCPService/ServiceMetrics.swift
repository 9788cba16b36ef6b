import CoreMetrics
import FlexPort
import FlexTCPCore
import FlexWire

/// flextcpd's counters as swift-metrics metrics (`flextcpd_…`), global and per application slot
/// (dimension `application`), copied from the stack's own counters by `record` on the slow side:
/// the fast path never calls into metrics.
///
/// Global: frames and bytes through the port, drops by reason (the network host's, the port's and
/// the slow path's), retransmissions by kind, ECN-marked bytes, connections by state, and the
/// service's own counters (attaches, hang-ups, refusals, resets, rejected entries). Per
/// application: connections by state, bytes sent and acknowledged, fast retransmissions,
/// ECN-marked bytes, connection-limit hits, rejected entries, whether attached and its pid.
///
/// Contract: `record` is called by the runtime thread between rounds (once a second, and at
/// shutdown). Counters of a connection are sampled then: what a connection did between its last
/// sample and its end is not counted (at most one interval's worth).
final class ServiceMetrics {
    private let factory: any MetricsFactory
    private var counters: [String: CumulativeCounter] = [:]
    private var gauges: [String: Gauge] = [:]
    private var flows: FlowSampler
    /// Totals of the per-connection counters so far (they only grow).
    private var totals = FlowGrowth()
    private let layout: ServiceLayout

    init(factory: any MetricsFactory, layout: ServiceLayout, flowCapacity: Int) {
        self.factory = factory
        self.layout = layout
        flows = FlowSampler(capacity: flowCapacity)
    }

    /// Copies the runtime's and the service's counters into the metrics. `pids`: per application
    /// slot, the attached application's pid (nil: free or draining).
    func record(runtime: StackRuntime, service: ServiceCounters, pids: [Int32?]) {
        recordPort(runtime.port.statistics)
        recordDrops(runtime.network.statistics, slowPath: runtime.slowPathCounters)
        recordService(service)
        recordConnections(runtime: runtime, pids: pids)
    }

    private func recordPort(_ port: PortStatistics) {
        count("flextcpd_packets_total", ["direction": "received"], port.receivedFrames)
        count("flextcpd_packets_total", ["direction": "transmitted"], port.transmittedFrames)
        count("flextcpd_bytes_total", ["direction": "received"], port.receivedBytes)
        count("flextcpd_bytes_total", ["direction": "transmitted"], port.transmittedBytes)
        count("flextcpd_drops_total", ["reason": "portReceive"], port.receiveDrops)
        count("flextcpd_drops_total", ["reason": "portTransmit"], port.transmitDrops)
    }

    private func recordDrops(_ network: NetworkHostStatistics, slowPath: SlowPathCounters) {
        for (reason, value) in network.drops.nonZero { count("flextcpd_drops_total", ["reason": "\(reason)"], value) }
        let slowPathDrops: [(String, UInt64)] = [
            ("malformedSegment", slowPath.malformedSegments), ("unknownFlow", slowPath.segmentsToUnknownFlows),
            ("unacceptableSegment", slowPath.unacceptableSegments), ("synBacklogFull", slowPath.synsDroppedBacklogFull),
            ("synNoResources", slowPath.synsDroppedNoResources), ("synBadFlags", slowPath.synsDroppedBadFlags),
            ("ackBacklogFull", slowPath.acknowledgmentsDroppedBacklogFull), ("listenNoFlags", slowPath.segmentsDroppedInListen),
        ]
        for (reason, value) in slowPathDrops { count("flextcpd_drops_total", ["reason": reason], value) }
        let retransmissions: [(String, UInt64)] = [
            ("timeout", slowPath.retransmissionTimeouts), ("selective", slowPath.selectiveRetransmissions),
            ("syn", slowPath.synRetransmissions), ("synAck", slowPath.synAckRetransmissions), ("fin", slowPath.finRetransmissions),
        ]
        for (kind, value) in retransmissions { count("flextcpd_retransmits_total", ["kind": kind], value) }
        count("flextcpd_resets_sent_total", [:], slowPath.resetsSent)
        count("flextcpd_connection_limit_resets_total", [:], slowPath.synsResetApplicationLimit)
    }

    private func recordService(_ service: ServiceCounters) {
        count("flextcpd_attaches_total", [:], service.attached)
        count("flextcpd_hangups_total", [:], service.hungUp)
        count("flextcpd_attaches_refused_total", [:], service.refusedFull)
        count("flextcpd_flows_reset_total", [:], service.flowsReset)
        count("flextcpd_regions_freed_total", [:], service.regionsFreed)
        count("flextcpd_rejected_entries_total", [:], service.rejectedEntries)
        count("flextcpd_connection_limit_hits_total", [:], service.connectionLimitHits)
        gauge("flextcpd_applications_attached", [:], service.attachedNow)
        gauge("flextcpd_slots_draining", [:], service.draining)
    }

    /// Connections by state (global and per application) and the per-connection counters' growth.
    private func recordConnections(runtime: StackRuntime, pids: [Int32?]) {
        var states: [String: Int] = [:]
        var perApplication = Array(repeating: ApplicationTally(), count: layout.applicationCount)
        var fastRetransmits: UInt64 = 0
        var ecnMarked: UInt64 = 0
        for index in 0..<flows.capacity {
            let flow = FlowIndex(index)
            guard let state = runtime.slowPath.state(of: flow), let binding = runtime.slowPath.binding(of: flow) else {
                flows.forget(index)
                continue
            }
            let application = Int(binding.context) / layout.contextsPerApplication
            states["\(state)", default: 0] += 1
            guard application < perApplication.count else { continue }
            perApplication[application].states["\(state)", default: 0] += 1
            guard let flowState = runtime.fastPath.state(of: flow) else { continue }
            let growth = flows.sample(index, flowState)
            perApplication[application].growth.add(growth)
            fastRetransmits &+= growth.fastRetransmits
            ecnMarked &+= growth.ecnMarkedBytes
        }
        // TIME_WAIT records hold no flow and belong to no application any more (only the global gauge counts them).
        states["\(TCPConnectionState.timeWait)", default: 0] += runtime.slowPath.timeWaitCount
        for state in Self.stateNames { gauge("flextcpd_connections", ["state": state], states[state] ?? 0) }
        count("flextcpd_retransmits_total", ["kind": "fast"], totals.fastRetransmits &+ fastRetransmits)
        count("flextcpd_ecn_marked_bytes_total", [:], totals.ecnMarkedBytes &+ ecnMarked)
        totals.fastRetransmits &+= fastRetransmits
        totals.ecnMarkedBytes &+= ecnMarked
        for (application, tally) in perApplication.enumerated() {
            let slot = ["application": "\(application)"]
            for state in Self.stateNames {
                gauge("flextcpd_application_connections", slot.merging(["state": state]) { $1 }, tally.states[state] ?? 0)
            }
            increment("flextcpd_application_acked_bytes_total", slot, by: tally.growth.ackedBytes)
            increment("flextcpd_application_retransmits_total", slot, by: tally.growth.fastRetransmits)
            increment("flextcpd_application_ecn_marked_bytes_total", slot, by: tally.growth.ecnMarkedBytes)
            let contexts = layout.contexts(ofApplication: application)
            count("flextcpd_application_connection_limit_hits_total", slot, runtime.connectionLimitHits(contexts: contexts))
            gauge("flextcpd_application_attached", slot, pids[application] == nil ? 0 : 1)
            gauge("flextcpd_application_pid", slot, Int(pids[application] ?? 0))
        }
    }

    private static let stateNames = ["synSent", "established", "finWait1", "finWait2", "closing", "timeWait", "closeWait", "lastAck", "closed"]

    /// Sets the counter `label` with `dimensions` to the cumulative `value` (incrementing by the growth).
    private func count(_ label: String, _ dimensions: [String: String], _ value: UInt64) {
        counters[counterKey(label, dimensions)]!.advance(to: value)
    }

    private func increment(_ label: String, _ dimensions: [String: String], by growth: UInt64) {
        let key = counterKey(label, dimensions)
        counters[key]!.advance(to: counters[key]!.last &+ growth)
    }

    /// The key of the counter `label` with `dimensions`, made on first use.
    private func counterKey(_ label: String, _ dimensions: [String: String]) -> String {
        let key = Self.key(label, dimensions)
        if counters[key] == nil {
            counters[key] = CumulativeCounter(Counter(label: label, dimensions: dimensions.sorted { $0.key < $1.key }, factory: factory))
        }
        return key
    }

    private func gauge(_ label: String, _ dimensions: [String: String], _ value: Int) {
        let key = Self.key(label, dimensions)
        if gauges[key] == nil { gauges[key] = Gauge(label: label, dimensions: dimensions.sorted { $0.key < $1.key }, factory: factory) }
        gauges[key]!.record(value)
    }

    private static func key(_ label: String, _ dimensions: [String: String]) -> String {
        label + dimensions.sorted { $0.key < $1.key }.map { "|\($0.key)=\($0.value)" }.joined()
    }
}

/// A swift-metrics counter fed from a cumulative (only growing) source: it is incremented by the
/// growth since the last value seen.
struct CumulativeCounter {
    let counter: Counter
    private(set) var last: UInt64 = 0

    init(_ counter: Counter) { self.counter = counter }

    mutating func advance(to value: UInt64) {
        guard value > last else { return }
        counter.increment(by: Int64(clamping: value &- last))
        last = value
    }
}

/// What one connection's counters grew by between two samples.
struct FlowGrowth {
    var ackedBytes: UInt64 = 0
    var fastRetransmits: UInt64 = 0
    var ecnMarkedBytes: UInt64 = 0

    mutating func add(_ other: FlowGrowth) {
        ackedBytes &+= other.ackedBytes
        fastRetransmits &+= other.fastRetransmits
        ecnMarkedBytes &+= other.ecnMarkedBytes
    }
}

/// One application's connections in one sample.
struct ApplicationTally {
    var states: [String: Int] = [:]
    var growth = FlowGrowth()
}

/// The last sample of each flow index's connection counters (`FlowState.ackedBytes`,
/// `fastRetransmits`, `ecnMarkedBytes`, which count from 0 since the connection was installed
/// and wrap at 2^32): `sample` returns their growth since the last sample of the same connection
/// (a connection first seen counts from 0; one whose 4-tuple changed is a new connection).
struct FlowSampler {
    private struct Sample {
        var remoteAddress: IPv4Address
        var ports: UInt32
        var ackedBytes: UInt32
        var fastRetransmits: UInt32
        var ecnMarkedBytes: UInt32
    }

    let capacity: Int
    private var samples: [Sample?]

    init(capacity: Int) {
        self.capacity = capacity
        samples = Array(repeating: nil, count: capacity)
    }

    mutating func forget(_ index: Int) { samples[index] = nil }

    mutating func sample(_ index: Int, _ state: FlowState) -> FlowGrowth {
        let ports = UInt32(state.localPort) << 16 | UInt32(state.remotePort)
        var previous = Sample(remoteAddress: state.remoteAddress, ports: ports, ackedBytes: 0, fastRetransmits: 0, ecnMarkedBytes: 0)
        if let last = samples[index], last.remoteAddress == state.remoteAddress, last.ports == ports { previous = last }
        samples[index] = Sample(remoteAddress: state.remoteAddress, ports: ports, ackedBytes: state.ackedBytes,
                                fastRetransmits: state.fastRetransmits, ecnMarkedBytes: state.ecnMarkedBytes)
        return FlowGrowth(ackedBytes: UInt64(state.ackedBytes &- previous.ackedBytes),
                          fastRetransmits: UInt64(state.fastRetransmits &- previous.fastRetransmits),
                          ecnMarkedBytes: UInt64(state.ecnMarkedBytes &- previous.ecnMarkedBytes))
    }
}
