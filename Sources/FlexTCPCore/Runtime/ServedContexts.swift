/// The contexts a runtime serves, in ascending order: the only ones its rounds and idle sleeps
/// look at (transmit and request queues taken and armed, receive and event queues published,
/// outboxes retried). Embedded mode serves every context from the start; service mode (flextcpd)
/// serves an application slot's contexts from its attach until the slot is free again (its
/// draining after the hang-up included), so a round costs the contexts of the applications there
/// are, not every slot's.
///
/// Contract: changed only between rounds, on the thread that steps the runtime (caller-driven
/// schedule); `list` is valid until the next change. A context the runtime still refers to (a flow
/// bound to it, a completion waiting for it) must stay served.
final class ServedContexts {
    private let storage: UnsafeMutableBufferPointer<Int>
    private var isServed: [Bool]
    private(set) var count = 0

    /// `total` contexts (0 ..< total), all served if `servingAll`, else none.
    init(total: Int, servingAll: Bool) {
        storage = .allocate(capacity: max(total, 1))
        isServed = Array(repeating: servingAll, count: total)
        collect()
    }

    deinit { storage.deallocate() }

    /// The served contexts, ascending (no retain: a view of the storage).
    @inline(__always)
    var list: UnsafeBufferPointer<Int> { UnsafeBufferPointer(start: storage.baseAddress, count: count) }

    /// Serves `contexts` (those served already stay).
    func serve(_ contexts: Range<Int>) {
        for context in contexts { isServed[context] = true }
        collect()
    }

    /// Stops serving `contexts`.
    func stopServing(_ contexts: Range<Int>) {
        for context in contexts { isServed[context] = false }
        collect()
    }

    private func collect() {
        count = 0
        for context in isServed.indices where isServed[context] {
            storage[count] = context
            count += 1
        }
    }
}
