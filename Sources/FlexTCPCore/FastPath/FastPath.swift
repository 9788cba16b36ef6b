import Atomics
import FlexPort
import FlexWire

/// The constant-time TCP fast path (the "NIC" of FlexTCP): established flows only.
///
/// Per received segment it verifies checksums, finds the flow by its 4-tuple, processes the ACK
/// (frees transmit-ring space, counts duplicates — after three it goes back to SND.UNA unless the
/// slow path recovers from the SACK blocks it keeps — samples RTT from timestamp echoes), places payload into the flow's receive ring (in order, or into one of a few
/// out-of-order intervals), and answers with an ACK echoing CE as ECE. It transmits from per-flow
/// transmit rings when the queue manager grants a flow its turn, under min(peer window, rate).
/// Everything else is an exception for the slow path.
///
/// Contract: one thread drives an instance (the slow path's calls — `install`, `remove`,
/// `setRate`, `retransmit` — come through that thread). No method allocates, loops over flows or
/// blocks; per-segment work is constant. Exceptions are reported as indices into the receive batch
/// (`exceptionIndices`), valid until the caller releases that batch; events (`events`) until the
/// next `processReceived`, `transmit` or `clearEvents`.
package final class FastPath {
    package let configuration: FastPathConfiguration
    package let port: any Port
    /// Base of the payload region that holds every flow's receive and transmit rings.
    package let payloadRegion: UnsafeMutableRawPointer
    package let payloadRegionSize: Int
    /// Our MAC as the first four and last two bytes of a frame's destination load (memory order).
    let localMACHead: UInt32
    let localMACTail: UInt16

    let flows: UnsafeMutablePointer<FlowState>
    let installed: UnsafeMutablePointer<Bool>
    /// Each flow's out-of-order intervals (`FlowState.outOfOrderCount` of them are valid), a side
    /// array beside `flows` because they do not fit in a `FlowState`'s 128 bytes.
    let outOfOrder: UnsafeMutablePointer<OutOfOrderIntervals>
    /// Each flow's SACK blocks from the latest peer segment that carried any (RFC 2018), for the
    /// slow path's loss recovery (`selectiveAcknowledgments(of:)`); stale blocks lie below SND.UNA.
    let peerSACKBlocks: UnsafeMutablePointer<TCPSACKBlocks>
    /// Each installed flow's header template (`SegmentHeaderTemplate`), built by `install` and `update`.
    let headerTemplates: UnsafeMutablePointer<SegmentHeaderTemplate>
    var flowTable: FlowTable
    var queueManager: QueueManager
    var delayedAcknowledgments: DelayedAcknowledgments
    let transmitBatch: FrameBatch
    /// The port completes (or waives) TCP checksums left partial: "compute only what the port will not".
    let leavesTransportChecksumPartial: Bool

    package internal(set) var events: UnsafeMutableBufferPointer<FlowEvent>
    package internal(set) var eventCount = 0
    package internal(set) var eventOverflows: UInt64 = 0
    let exceptionStorage: UnsafeMutablePointer<Int>
    package internal(set) var exceptionCount = 0
    let verdictCounts: UnsafeMutablePointer<UInt64>
    /// Where the flows' states are published for a slow path on another thread (nil: none is).
    var snapshots: FlowSnapshots?
    /// Flows changed since a slow path on this thread last took them (`takeChangedFlows`).
    let changes: FlowChangeLog
    package internal(set) var acknowledgmentsSent: UInt64 = 0
    package internal(set) var segmentsSent: UInt64 = 0
    /// Data segments sent again (after a rewind, or a range the slow path's SACK recovery asked
    /// for); a part of `segmentsSent`.
    package internal(set) var segmentsRetransmitted: UInt64 = 0
    /// Answers to dataless unacceptable segments left out by the per-flow rate limit (`FastPath+Acceptance.swift`).
    package internal(set) var answersSuppressed: UInt64 = 0
    /// Installed flows whose peer has not finished: the ones that share `receiveWindowBudget`.
    package internal(set) var receivingFlows = 0
    /// The most window any flow advertises now (see `FastPath+ReceiveWindow.swift`).
    package internal(set) var receiveWindowLimit: UInt32 = .max
    /// `receiveWindowLimit` for a slow path on another thread (written only when it changes).
    let publishedReceiveWindowLimit = ManagedAtomic<UInt32>(.max)

    package init(configuration: FastPathConfiguration, port: any Port, payloadRegion: UnsafeMutableRawPointer, payloadRegionSize: Int) {
        precondition(configuration.flowCapacity > 0 && configuration.eventCapacity > 0 && configuration.transmitBatchSize > 0,
                     "fast path capacities must be positive")
        self.configuration = configuration
        self.port = port
        self.payloadRegion = payloadRegion
        self.payloadRegionSize = payloadRegionSize
        var localMACBytes: (UInt32, UInt16) = (0, 0)
        withUnsafeMutableBytes(of: &localMACBytes) { configuration.localMAC.store(to: $0.baseAddress!) }
        (localMACHead, localMACTail) = localMACBytes
        flows = .allocate(capacity: configuration.flowCapacity)
        flows.initialize(repeating: FlowState(), count: configuration.flowCapacity)
        installed = .allocate(capacity: configuration.flowCapacity)
        installed.initialize(repeating: false, count: configuration.flowCapacity)
        outOfOrder = .allocate(capacity: configuration.flowCapacity)
        outOfOrder.initialize(repeating: OutOfOrderIntervals(), count: configuration.flowCapacity)
        peerSACKBlocks = .allocate(capacity: configuration.flowCapacity)
        peerSACKBlocks.initialize(repeating: TCPSACKBlocks(), count: configuration.flowCapacity)
        headerTemplates = .allocate(capacity: configuration.flowCapacity)
        headerTemplates.initialize(repeating: SegmentHeaderTemplate(), count: configuration.flowCapacity)
        flowTable = FlowTable(capacity: configuration.flowCapacity, hasher: configuration.flowTableKey ?? .random())
        queueManager = QueueManager(capacity: configuration.flowCapacity)
        delayedAcknowledgments = DelayedAcknowledgments(capacity: configuration.flowCapacity)
        transmitBatch = FrameBatch(capacity: configuration.transmitBatchSize)
        leavesTransportChecksumPartial = port.transmitChecksumOffload.acceptsPartialChecksums
        events = .allocate(capacity: configuration.eventCapacity)
        changes = FlowChangeLog(capacity: configuration.flowCapacity)
        exceptionStorage = .allocate(capacity: FastPath.maximumReceiveBatch)
        verdictCounts = .allocate(capacity: FastPathVerdict.allCases.count)
        verdictCounts.initialize(repeating: 0, count: FastPathVerdict.allCases.count)
        receivingFlowsChanged(by: 0)
    }

    deinit {
        flows.deinitialize(count: configuration.flowCapacity)
        flows.deallocate()
        installed.deallocate()
        outOfOrder.deallocate()
        peerSACKBlocks.deallocate()
        headerTemplates.deallocate()
        events.deallocate()
        changes.deallocate()
        exceptionStorage.deallocate()
        verdictCounts.deallocate()
    }

    /// The largest receive batch `processReceived` accepts.
    package static let maximumReceiveBatch = 4096

    /// How many frames got `verdict` so far.
    package func frames(withVerdict verdict: FastPathVerdict) -> UInt64 { verdictCounts[verdict.rawValue] }

    /// The indices (into the last receive batch) of frames the slow path must handle.
    package var exceptionIndices: UnsafeBufferPointer<Int> { UnsafeBufferPointer(start: exceptionStorage, count: exceptionCount) }

    /// Forgets the events posted so far (inlined: a round's runtime calls it after every stage).
    @inline(__always)
    package func clearEvents() { eventCount = 0 }

    /// A copy of a flow's state (for the slow path and tests); nil when no flow is installed there.
    package func state(of flow: FlowIndex) -> FlowState? { installedState(of: flow)?.pointee }

    /// Where an installed flow's state lives, for reads on this thread that need a few fields and
    /// not a copy of all 128 bytes; nil when no flow is installed there.
    @inline(__always)
    package func installedState(of flow: FlowIndex) -> UnsafePointer<FlowState>? {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return nil }
        return UnsafePointer(flows + Int(flow))
    }

    /// The out-of-order intervals an installed flow holds, most recently changed first (for tests
    /// and invariant checks); empty when it holds none or no flow is installed there.
    package func outOfOrderIntervals(of flow: FlowIndex) -> [TCPSACKBlock] {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return [] }
        return (0..<Int(flows[Int(flow)].outOfOrderCount)).map {
            let interval = outOfOrder[Int(flow)].interval($0)
            return TCPSACKBlock(leftEdge: interval.start, rightEdge: interval.end)
        }
    }

    func count(_ verdict: FastPathVerdict) { verdictCounts[verdict.rawValue] &+= 1 }

    /// How segments this fast path writes fill the TCP checksum.
    var transportChecksum: SegmentHeaders.TransportChecksum { leavesTransportChecksumPartial ? .partial : .complete }

    /// Tells the slow path that the flow's state changed: publishes it for a slow path on another
    /// thread (which learns of the change there), else lists the flow in `changes`.
    @inline(__always)
    func publishSnapshot(_ flow: FlowIndex) {
        guard let snapshots else { return changes.mark(flow) }
        snapshots.publish(Int(flow), state: flows[Int(flow)], selectiveAcknowledgments: peerSACKBlocks[Int(flow)],
                          installed: installed[Int(flow)])
    }
}
