/// The flows whose fast-path state changed since the slow path last asked (`FlowControl
/// .takeChangedFlows`), each listed once: how the slow path finds the few connections whose timers
/// may need it — a flow that starts sending, has bytes acknowledged, sees its window close or takes a
/// FIN — without looking at every idle one.
///
/// Contract: one thread uses it (the fast path's, with the slow path on that thread). `mark` is
/// constant time and allocation-free (a flag test, at most one store in a preallocated list);
/// `take` hands out and forgets every marked flow. Memory: one flag and one list slot per flow.
struct FlowChangeLog {
    private let listed: UnsafeMutablePointer<Bool>
    private let entries: UnsafeMutablePointer<FlowIndex>
    private let countStorage: UnsafeMutablePointer<Int>

    init(capacity: Int) {
        listed = .allocate(capacity: capacity)
        listed.initialize(repeating: false, count: capacity)
        entries = .allocate(capacity: capacity)
        countStorage = .allocate(capacity: 1)
        countStorage.initialize(to: 0)
    }

    /// Frees the storage; the log is unusable afterwards.
    func deallocate() {
        listed.deallocate()
        entries.deallocate()
        countStorage.deallocate()
    }

    /// Records that `flow` changed (a no-op when it is listed already).
    @inline(__always)
    func mark(_ flow: FlowIndex) {
        guard !listed[Int(flow)] else { return }
        listed[Int(flow)] = true
        entries[countStorage.pointee] = flow
        countStorage.pointee &+= 1
    }

    /// No flow changed since the last `take`.
    var isEmpty: Bool { countStorage.pointee == 0 }

    /// True when `flow` changed since the last `take`.
    func isMarked(_ flow: FlowIndex) -> Bool { listed[Int(flow)] }

    /// Hands each marked flow to `body` (which must not mark flows) and forgets them.
    func take(_ body: (FlowIndex) -> Void) {
        for index in 0..<countStorage.pointee {
            listed[Int(entries[index])] = false
            body(entries[index])
        }
        countStorage.pointee = 0
    }
}
