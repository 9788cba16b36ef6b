import Testing
@testable import FlexTCP

@Suite("A context's send/free counts waiting for the transmit queue")
struct PendingUpdatesTests {
    /// The submitted counts as (flow, opaque, send, free).
    private func submitAll(_ pending: PendingUpdates, acceptingAtMost limit: Int = .max) -> [[UInt64]] {
        var submitted: [[UInt64]] = []
        pending.submit { flow, counts in
            guard submitted.count < limit else { return false }
            submitted.append([UInt64(flow), counts.opaque, UInt64(counts.send), UInt64(counts.free)])
            return true
        }
        return submitted
    }

    @Test("Counts of one connection add up into one entry; flows come out in the order of their first counts")
    func countsMergePerFlowInOrder() {
        let pending = PendingUpdates(capacity: 8)
        pending.add(flow: 5, opaque: 50, send: 10, free: 0)
        pending.add(flow: 2, opaque: 20, send: 0, free: 7)
        pending.add(flow: 5, opaque: 50, send: 1, free: 3)
        #expect(pending.isWaiting(flow: 5, opaque: 50))
        #expect(!pending.isWaiting(flow: 5, opaque: 51))
        #expect(submitAll(pending) == [[5, 50, 11, 3], [2, 20, 0, 7]])
        #expect(pending.isEmpty)
        #expect(!pending.isWaiting(flow: 5, opaque: 50))
    }

    @Test("A full transmit queue keeps the rest in order; the list wraps around its memory")
    func partialSubmitKeepsOrder() {
        let pending = PendingUpdates(capacity: 3)
        pending.add(flow: 0, opaque: 1, send: 1, free: 0)
        pending.add(flow: 1, opaque: 2, send: 2, free: 0)
        pending.add(flow: 2, opaque: 3, send: 3, free: 0)
        #expect(submitAll(pending, acceptingAtMost: 2) == [[0, 1, 1, 0], [1, 2, 2, 0]])
        pending.add(flow: 0, opaque: 1, send: 4, free: 0)
        pending.add(flow: 2, opaque: 3, send: 5, free: 0)
        #expect(submitAll(pending) == [[2, 3, 8, 0], [0, 1, 4, 0]])
    }

    @Test("Counts dropped, or of a connection whose flow index another connection took, are never submitted")
    func droppedAndReplacedCountsVanish() {
        let pending = PendingUpdates(capacity: 4)
        pending.add(flow: 1, opaque: 10, send: 5, free: 5)
        pending.add(flow: 3, opaque: 30, send: 6, free: 0)
        pending.drop(flow: 1, opaque: 99)
        pending.drop(flow: 3, opaque: 30)
        #expect(!pending.isWaiting(flow: 3, opaque: 30))
        pending.add(flow: 1, opaque: 11, send: 2, free: 0)
        #expect(!pending.isWaiting(flow: 1, opaque: 10))
        #expect(submitAll(pending) == [[1, 11, 2, 0]])
        #expect(pending.isEmpty)
    }
}
