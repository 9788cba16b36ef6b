import FlexPort
import FlexWire

/// The slow path's `FlowControl` for a fast path on another thread: every change becomes a
/// `FlowCommand` on a single-producer/single-consumer frame ring (`commands`, applied by the fast
/// path's thread in order), states are read from the fast path's published `FlowSnapshots`, and a
/// frame to reprocess is handed over on the slow path's frame ring (`frames`) addressed to our own
/// MAC, which the fast path's thread recognizes.
///
/// Contract: used on the slow path's thread only. Commands never get lost: one that finds the ring
/// full waits here, in order, until `flush()` finds room. Until the fast path has applied an
/// install and published the flow, `state(of:)` returns the installed state as given (updated by
/// the commands sent since), so the slow path sees its own changes at once.
final class FastPathLink: FlowControl {
    let localAddress: IPv4Address
    let flowCapacity: Int
    let payloadRegionSize: Int
    private let commands: MemoryWireEndpoint
    private let frames: MemoryWireEndpoint
    private let snapshots: FlowSnapshots
    private let fastPath: FastPath
    private let slot = FrameBatch(capacity: 1)
    private var waiting: [FlowCommand] = []
    /// Per flow index: installed as far as we know, the state we installed, which installation.
    private var installed: [Bool]
    private var shadows: [FlowState]
    private var generations: [UInt32]
    /// Exception frames we could not hand back for reprocessing (the frame ring was full).
    private(set) var reprocessDrops: UInt64 = 0

    init(fastPath: FastPath, commands: MemoryWireEndpoint, frames: MemoryWireEndpoint, snapshots: FlowSnapshots) {
        localAddress = fastPath.configuration.localAddress
        flowCapacity = fastPath.configuration.flowCapacity
        payloadRegionSize = fastPath.payloadRegionSize
        self.commands = commands
        self.frames = frames
        self.snapshots = snapshots
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
        shadows[Int(flow)].context = context
        shadows[Int(flow)].opaque = opaque
        send(.setDelivery(flow, context: context, opaque: opaque))
    }

    func reprocess(_ frame: Frame, now: UInt64) -> Bool {
        if !frames.transmit(copying: frame.buffer, using: slot) { reprocessDrops &+= 1 }
        return true
    }

    /// Sends a command about the contexts' queues (`FlowCommand.open` and the others a
    /// `ThreadedContextService` carries out), in order with the flow commands.
    func deliver(_ command: FlowCommand) { send(command) }

    /// The fast path moved the flow to `context` itself (`FlowCommand.move`): keep our copy in step.
    func noteDelivery(flow: FlowIndex, context: UInt16, opaque: UInt64) {
        guard Int(flow) < flowCapacity, installed[Int(flow)] else { return }
        shadows[Int(flow)].context = context
        shadows[Int(flow)].opaque = opaque
    }

    /// Sends the commands that waited for room, in order.
    func flush() {
        while let command = waiting.first, put(command) { waiting.removeFirst() }
    }

    /// Commands still waiting for room in the ring.
    var waitingCommands: Int { waiting.count }

    private func send(_ command: FlowCommand) {
        flush()
        if !waiting.isEmpty || !put(command) { waiting.append(command) }
    }

    private func put(_ command: FlowCommand) -> Bool {
        guard commands.reserveTransmit(into: slot, count: 1) == 1 else { return false }
        var frame = slot[0]
        command.store(to: &frame)
        slot[0] = frame
        return commands.commitTransmit(slot) == 1
    }
}
