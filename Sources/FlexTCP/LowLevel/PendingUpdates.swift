import FlexTCPCore

/// The send/free counts of a context's connections not yet in the transmit queue: one record per
/// flow index (the connection's opaque and its counts, plain values, so nothing is retained or
/// released per count) and the flows with counts in the order they got their first, each listed
/// once.
///
/// Contract: memory is allocated once (one record and one list slot per flow index, so the list
/// never overflows); every operation takes constant time except `submit`, which walks the list.
/// Counts belong to the opaque they were added for: adding for another opaque at the same flow
/// index drops the counts there (that connection no longer holds the index). The context drops a
/// connection's counts when it stops holding it, so counts that wait are a held connection's.
final class PendingUpdates {
    /// One flow index's waiting counts.
    struct Record {
        var opaque: UInt64 = 0
        var send: UInt32 = 0
        var free: UInt32 = 0
        /// The flow is on the list (its counts may be zero by now: dropped).
        var isListed = false
    }

    let capacity: Int
    private let records: UnsafeMutablePointer<Record>
    /// The listed flows, a ring from `head`, `count` long.
    private let order: UnsafeMutablePointer<FlowIndex>
    private var head = 0
    private var count = 0

    /// Room for flow indexes 0 ..< `capacity`.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        records = .allocate(capacity: self.capacity)
        records.initialize(repeating: Record(), count: self.capacity)
        order = .allocate(capacity: self.capacity)
    }

    deinit {
        records.deallocate()
        order.deallocate()
    }

    /// No flow is listed.
    var isEmpty: Bool { count == 0 }

    /// Adds counts of the connection `opaque` at `flow` (`flow` < `capacity`).
    @inline(__always)
    func add(flow: FlowIndex, opaque: UInt64, send: UInt32, free: UInt32) {
        let record = records + Int(flow)
        if record.pointee.opaque != opaque {
            record.pointee.opaque = opaque
            record.pointee.send = 0
            record.pointee.free = 0
        }
        record.pointee.send &+= send
        record.pointee.free &+= free
        guard !record.pointee.isListed else { return }
        record.pointee.isListed = true
        let tail = head &+ count
        order[tail < capacity ? tail : tail &- capacity] = flow
        count &+= 1
    }

    /// Counts of the connection `opaque` at `flow` wait to be submitted.
    func isWaiting(flow: FlowIndex, opaque: UInt64) -> Bool {
        guard Int(flow) < capacity else { return false }
        let record = records[Int(flow)]
        return record.isListed && record.opaque == opaque && (record.send | record.free) != 0
    }

    /// Forgets the waiting counts of the connection `opaque` at `flow` (it is no longer held).
    func drop(flow: FlowIndex, opaque: UInt64) {
        guard Int(flow) < capacity, records[Int(flow)].opaque == opaque else { return }
        records[Int(flow)].send = 0
        records[Int(flow)].free = 0
    }

    /// Hands each listed flow's counts to `submit`, oldest first, and forgets them; stops at the
    /// first false (those counts and the later ones stay listed, in order).
    @inline(__always)
    func submit(_ submit: (FlowIndex, Record) -> Bool) {
        while count > 0 {
            let flow = order[head]
            let record = records + Int(flow)
            if (record.pointee.send | record.pointee.free) != 0 {
                guard submit(flow, record.pointee) else { return }
                record.pointee.send = 0
                record.pointee.free = 0
            }
            record.pointee.isListed = false
            head = head &+ 1 == capacity ? 0 : head &+ 1
            count &-= 1
        }
    }
}
