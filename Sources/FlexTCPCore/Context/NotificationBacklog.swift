/// Flow events the receive queue had no room for, merged per flow: the fast path's answer to a
/// full receive queue. A real NIC would drop or defer; we must not lose a notification, and we
/// cannot hold an unbounded list, so a flow has at most one pending notification that absorbs
/// every later event of the flow until it is posted.
///
/// Merging is exact because a flow's events are additive: received bytes are contiguous in the
/// receive ring (each event's position is where the previous one ended), so the merged event keeps
/// the first position and the sum of the bytes; acknowledged bytes add up. Both sums stay below
/// the ring sizes, since the application has not freed what was announced.
///
/// Contract: memory is one record per flow index, allocated up front; `add`, `first` and
/// `removeFirst` take constant time. Flows come out in the order their first pending event came
/// in. An event with another opaque than the pending one means the index was reused for a new
/// flow: the old flow is gone, and its notification is replaced.
final class NotificationBacklog {
    private struct Record {
        var event = FlowEvent(opaque: 0, flow: 0, context: 0, receivedPosition: 0, receivedBytes: 0, acknowledgedBytes: 0)
        var next: UInt32 = NotificationBacklog.none
        var isPending = false
    }

    private static let none = UInt32.max
    let flowCapacity: Int
    private let records: UnsafeMutablePointer<Record>
    private var head = NotificationBacklog.none
    private var tail = NotificationBacklog.none
    private(set) var count = 0

    init(flowCapacity: Int) {
        precondition(flowCapacity > 0 && flowCapacity < Int(NotificationBacklog.none), "flow capacity out of range")
        self.flowCapacity = flowCapacity
        records = .allocate(capacity: flowCapacity)
        records.initialize(repeating: Record(), count: flowCapacity)
    }

    deinit {
        records.deinitialize(count: flowCapacity)
        records.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    func isPending(_ flow: FlowIndex) -> Bool { Int(flow) < flowCapacity && records[Int(flow)].isPending }

    /// Adds `event` (from the fast path, so `event.flow < flowCapacity`).
    func add(_ event: FlowEvent) {
        let index = Int(event.flow)
        precondition(index < flowCapacity, "event for a flow beyond the fast path's capacity")
        let record = records + index
        guard record.pointee.isPending else {
            record.pointee = Record(event: event, next: NotificationBacklog.none, isPending: true)
            if tail == NotificationBacklog.none { head = event.flow } else { records[Int(tail)].next = event.flow }
            tail = event.flow
            count &+= 1
            return
        }
        guard record.pointee.event.opaque == event.opaque else {
            record.pointee.event = event
            return
        }
        if record.pointee.event.receivedBytes == 0 { record.pointee.event.receivedPosition = event.receivedPosition }
        record.pointee.event.receivedBytes &+= event.receivedBytes
        record.pointee.event.acknowledgedBytes &+= event.acknowledgedBytes
    }

    /// The oldest pending notification.
    var first: FlowEvent? { head == NotificationBacklog.none ? nil : records[Int(head)].event }

    /// Forgets every pending notification.
    func removeAll() {
        while !isEmpty { removeFirst() }
    }

    func removeFirst() {
        guard head != NotificationBacklog.none else { return }
        let record = records + Int(head)
        head = record.pointee.next
        if head == NotificationBacklog.none { tail = NotificationBacklog.none }
        record.pointee.isPending = false
        count &-= 1
    }
}
