import FlexTCPCore

/// The sessions of one FlexTCP worker, indexed by flow, each with the worker's `Handle` for its
/// connection (the library's `Connection`, or nothing on the run-to-completion path), and the list
/// of flows that have work.
///
/// Contract: holds `capacity` flows (the stack's flow capacity); all memory is allocated in `init`.
/// `markReady` puts a flow that has a session on the ready list at most once until
/// `withReadyFlows` hands the list out and empties it; nothing here allocates after `init`.
/// A flow's per-connection flags are reset when a session is attached to it.
final class FlowSessions<Handle> {
    struct Slot {
        var session: Session?
        var handle: Handle?
        /// On the ready list.
        var queued = false
        /// The peer's FIN arrived (the stream ends after the bytes in the ring).
        var peerClosed = false
        /// `Session.peerFinished` was called.
        var finishReported = false
    }

    let capacity: Int
    private let slots: UnsafeMutablePointer<Slot>
    private let ready: UnsafeMutablePointer<FlowIndex>
    private let processing: UnsafeMutablePointer<FlowIndex>
    private var readyCount = 0

    init(capacity: Int) {
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(), count: capacity)
        ready = .allocate(capacity: capacity)
        processing = .allocate(capacity: capacity)
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
        ready.deallocate()
        processing.deallocate()
    }

    /// The flow's slot (`flow` < `capacity`).
    @inline(__always)
    func slot(_ flow: FlowIndex) -> UnsafeMutablePointer<Slot> { slots + Int(flow) }

    @inline(__always)
    func session(of flow: FlowIndex) -> Session? { Int(flow) < capacity ? slots[Int(flow)].session : nil }

    /// Gives `flow` a new session (and its connection's handle) with fresh flags.
    func attach(_ session: Session, handle: Handle? = nil, to flow: FlowIndex) {
        slots[Int(flow)] = Slot(session: session, handle: handle)
    }

    /// Forgets the flow's session and handle (it stays on the ready list if queued; `withReadyFlows` skips it).
    func detach(_ flow: FlowIndex) {
        slots[Int(flow)].session = nil
        slots[Int(flow)].handle = nil
    }

    /// Queues a flow that has a session, once.
    @inline(__always)
    func markReady(_ flow: FlowIndex) {
        guard Int(flow) < capacity else { return }
        let slot = slots + Int(flow)
        guard !slot.pointee.queued, slot.pointee.session != nil else { return }
        slot.pointee.queued = true
        ready[readyCount] = flow
        readyCount &+= 1
    }

    /// Queues every flow that has a session (after lost flow events).
    func markAllReady() {
        for index in 0..<capacity { markReady(FlowIndex(index)) }
    }

    /// Calls `body` with the slot of each queued flow (in the order queued) that still has a
    /// session; flows it marks ready again are handed out on the next call.
    @inline(__always)
    func withReadySlots(_ body: (FlowIndex, UnsafeMutablePointer<Slot>) -> Void) {
        let count = readyCount
        guard count > 0 else { return }
        processing.update(from: ready, count: count)
        readyCount = 0
        for index in 0..<count {
            let flow = processing[index]
            slots[Int(flow)].queued = false
            if slots[Int(flow)].session != nil { body(flow, slots + Int(flow)) }
        }
    }
}

extension FlowSessions where Handle: AnyObject {
    /// The slot's session and handle, read without retaining them (nil when either is missing):
    /// the slot keeps them alive until it changes (`attach`, `detach`), so they must not be used
    /// after a `detach` of their flow.
    @inline(__always)
    func unretained(_ slot: UnsafeMutablePointer<Slot>) -> (session: Unmanaged<Session>, handle: Unmanaged<Handle>)? {
        // `T?` and `Unmanaged<T>?` of a class share one layout (a pointer, nil as zero).
        let raw = UnsafeRawPointer(slot)
        guard let session = raw.load(fromByteOffset: MemoryLayout<Slot>.offset(of: \.session).unsafelyUnwrapped, as: Unmanaged<Session>?.self),
              let handle = raw.load(fromByteOffset: MemoryLayout<Slot>.offset(of: \.handle).unsafelyUnwrapped, as: Unmanaged<Handle>?.self) else {
            return nil
        }
        return (session, handle)
    }
}
