import FlexPort
import FlexWire

/// The slow path's `ContextFlowControl` for a fast path on another thread: every change becomes a
/// `FlowCommand` on the `commands` ring (applied by the fast path's thread in order, by
/// `SlowPathLink`), states are read from the fast path's published `FlowSnapshots`, a frame to
/// reprocess goes on the `handedBack` frame ring named by a `reprocessFrame` command, and the fast
/// path's notices come back on the `notices` ring (`takeNotices`).
///
/// Contract: used on the slow path's thread only. Commands never get lost: one that finds the ring
/// full waits here, in order, until `flush()` finds room. The slow-path thread takes no new work
/// while commands wait (`SlowPathThreadRound`), so at most one round's commands wait here. Until
/// the fast path has applied an install and published the flow, `state(of:)` returns the installed
/// state as given, with a FIN queued since (`closeTransmission`), so the slow path sees its own
/// changes at once.
///
/// What is kept here is only what the published `FlowSnapshots` cannot tell yet: which flows are
/// installed and which installation a snapshot belongs to (`generations`), the installed state
/// until the fast path publishes it, and a FIN queued and not yet published. The delivery fields
/// (`FlowState.context`, `opaque`) of a returned state may lag a `setDelivery` or move: the slow
/// path reads a flow's binding from its connection record, the binding's one owner, never from here.
final class FastPathLink: ContextFlowControl, SelectiveRecoveryControl {
    let localAddress: IPv4Address
    let flowCapacity: Int
    let payloadRegionSize: Int
    private let rings: ThreadLinkRings
    private let snapshots: FlowSnapshots
    private let fastPath: FastPath
    private let slot = FrameBatch(capacity: 1)
    private var waiting: [FlowCommand] = []
    /// Per flow index: installed as far as we know, the state we installed (with a FIN queued since;
    /// read until the fast path publishes this installation), which installation.
    private var installed: [Bool]
    private var shadows: [FlowState]
    private var generations: [UInt32]
    /// Exception frames we could not hand back for reprocessing (the frame ring was full, or the
    /// frame — a reassembled datagram — longer than the port's frames).
    private(set) var reprocessDrops: UInt64 = 0

    /// `fastPath` runs on the other thread: only its configuration and published window limit are read.
    init(fastPath: FastPath, rings: ThreadLinkRings) {
        localAddress = fastPath.configuration.localAddress
        flowCapacity = fastPath.configuration.flowCapacity
        payloadRegionSize = fastPath.payloadRegionSize
        self.rings = rings
        snapshots = rings.snapshots
        self.fastPath = fastPath
        installed = Array(repeating: false, count: flowCapacity)
        shadows = Array(repeating: FlowState(), count: flowCapacity)
        generations = Array(repeating: 0, count: flowCapacity)
    }

    /// Read from the fast path's atomic copy; at most one fast-path step old.
    var receiveWindowLimit: UInt32 { fastPath.publishedReceiveWindowLimit.load(ordering: .relaxed) }

    func state(of flow: FlowIndex) -> FlowState? {
        guard Int(flow) < flowCapacity, installed[Int(flow)] else { return nil }
        let record = snapshots.read(flow)
        return record.installed && record.generation == generations[Int(flow)] ? record.state : shadows[Int(flow)]
    }

    /// The flows the fast path published since the last call (`FlowSnapshots.takeChanged`).
    func takeChangedFlows(_ body: (FlowIndex) -> Void) { snapshots.takeChanged(body) }

    func install(flow: FlowIndex, state: FlowState, now: UInt64) throws(FlowInstallError) {
        guard Int(flow) < flowCapacity else { throw .flowIndexOutOfRange }
        guard !installed[Int(flow)] else { throw .flowIndexInUse }
        generations[Int(flow)] &+= 1
        installed[Int(flow)] = true
        shadows[Int(flow)] = state
        send(.install(flow, state, generation: generations[Int(flow)]))
    }

    @discardableResult
    func remove(flow: FlowIndex) -> FlowState? {
        guard let state = state(of: flow) else { return nil }
        installed[Int(flow)] = false
        send(.remove(flow))
        return state
    }

    func setRate(flow: FlowIndex, bytesPerSecond: UInt64, now: UInt64) {
        guard Int(flow) < flowCapacity, installed[Int(flow)] else { return }
        send(.setRate(flow, bytesPerSecond: bytesPerSecond))
    }

    func retransmit(flow: FlowIndex, now: UInt64) {
        guard Int(flow) < flowCapacity, installed[Int(flow)] else { return }
        send(.retransmit(flow))
    }

    /// The peer's latest SACK blocks as the fast path last published them with the flow (none for
    /// an installation not published yet).
    func selectiveAcknowledgments(of flow: FlowIndex) -> TCPSACKBlocks {
        guard Int(flow) < flowCapacity, installed[Int(flow)] else { return TCPSACKBlocks() }
        let record = snapshots.read(flow)
        return record.installed && record.generation == generations[Int(flow)] ? record.selectiveAcknowledgments : TCPSACKBlocks()
    }

    func retransmit(flow: FlowIndex, sequence: SequenceNumber, length: UInt32, now: UInt64) {
        guard Int(flow) < flowCapacity, installed[Int(flow)] else { return }
        send(.retransmitRange(flow, sequence: sequence, length: length))
    }

    @discardableResult
    func closeTransmission(flow: FlowIndex, now: UInt64) -> Bool {
        guard let state = state(of: flow), !state.closeFlags.contains(.finQueued), !shadows[Int(flow)].closeFlags.contains(.finQueued) else {
            return false
        }
        shadows[Int(flow)].closeFlags.insert(.finQueued)
        send(.closeTransmission(flow))
        return true
    }

    func setDelivery(flow: FlowIndex, context: UInt16, opaque: UInt64) {
        guard Int(flow) < flowCapacity, installed[Int(flow)] else { return }
        send(.setDelivery(flow, context: context, opaque: opaque))
    }

    func reprocess(_ frame: Frame, now: UInt64) -> Bool {
        let producer = rings.handedBack.producer
        if frame.length <= rings.handedBack.ring.frameCapacity, producer.reserve(into: slot, count: 1) == 1 {
            var copy = slot[0]
            copy.bytes.copyMemory(from: frame.bytes, byteCount: frame.length)
            copy.length = frame.length
            copy.flags = frame.flags
            slot[0] = copy
            if producer.commit(slot) == 1 {
                send(.reprocessFrame)
                return true
            }
        }
        slot.removeAll()
        reprocessDrops &+= 1
        return true
    }

    func open(flow: FlowIndex, context: UInt16, opaque: UInt64) { send(.open(flow, context: context, opaque: opaque)) }

    func endStream(flow: FlowIndex, context: UInt16, opaque: UInt64, reason: CloseReason) {
        send(.endStream(flow, context: context, opaque: opaque, reason: reason))
    }

    func release(flow: FlowIndex, context: UInt16, ticket: UInt32) { send(.release(flow, context: context, ticket: ticket)) }

    func move(flow: FlowIndex, from: UInt16, to: UInt16, opaque: UInt64, ticket: UInt32) {
        send(.move(flow, from: from, to: to, opaque: opaque, ticket: ticket))
    }

    func fence(ticket: UInt32) { send(.fence(ticket: ticket)) }

    /// The slow path's port published `count` frames on the frame ring: the fast path sends them.
    func transmitted(frames count: Int) {
        guard count > 0 else { return }
        send(.transmitFrames(count: UInt32(count)))
    }

    /// Hands the fast path's notices to `body`, in order. Returns how many.
    func takeNotices(_ body: (FastPathNotice) -> Void) -> Int {
        var total = 0
        while case let count = rings.notices.take(), count > 0 {
            for index in 0..<count { body(rings.notices[index]) }
            rings.notices.release()
            total &+= count
        }
        return total
    }

    /// Sends the commands that waited for room, in order.
    func flush() {
        while let command = waiting.first, put(command) { waiting.removeFirst() }
    }

    /// Commands still waiting for room in the ring.
    var waitingCommands: Int { waiting.count }

    /// With commands waiting: asks the fast path to signal the slow path's thread once it takes
    /// commands (`ThreadLinkRings.commandRoom`), then sends what fits; true when none waits any more.
    func requestRoomForWaitingCommands() -> Bool {
        guard !waiting.isEmpty else { return true }
        rings.commandRoom.announce()
        flush()
        guard waiting.isEmpty else { return false }
        rings.commandRoom.withdraw()
        return true
    }

    private func send(_ command: FlowCommand) {
        flush()
        if !waiting.isEmpty || !put(command) { waiting.append(command) }
    }

    private func put(_ command: FlowCommand) -> Bool { rings.commands.send(command) }
}
