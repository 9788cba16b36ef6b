/// The sends of one socket whose bytes its `OutboundBuffer` still holds because a MSG_ZEROCOPY send
/// among them has not completed: each send's byte count, in order, and for zero-copy sends the number
/// the kernel gave it (a socket's successful zero-copy sends are numbered 0, 1, 2 … modulo 2^32).
///
/// Contract: `record` every send made while the ledger is not empty, and every zero-copy send;
/// `complete` marks the zero-copy sends a notification covers; `releasable` returns the bytes of
/// the oldest sends that are all done (copied sends are done at once, but wait for older zero-copy
/// ones), which the caller releases from the outbound buffer in that order.
struct ZeroCopyLedger {
    private struct Entry {
        var bytes: Int
        var number: UInt32
        var done: Bool
    }

    private var entries: [Entry] = []
    private var first = 0
    private var nextNumber: UInt32

    /// A ledger whose next zero-copy send gets `nextNumber` (a new socket's first is 0).
    init(nextNumber: UInt32 = 0) { self.nextNumber = nextNumber }

    var isEmpty: Bool { first == entries.count }

    mutating func record(bytes: Int, zeroCopy: Bool) {
        entries.append(Entry(bytes: bytes, number: nextNumber, done: !zeroCopy))
        if zeroCopy { nextNumber &+= 1 }
    }

    /// Marks the zero-copy sends numbered `from` ... `to` (modulo 2^32) done; returns how many it marked.
    mutating func complete(from: UInt32, to: UInt32) -> Int {
        var marked = 0
        for index in first..<entries.count where !entries[index].done && entries[index].number &- from <= to &- from {
            entries[index].done = true
            marked += 1
        }
        return marked
    }

    /// Bytes of the oldest sends that are done, dropped from the ledger.
    mutating func releasable() -> Int {
        var bytes = 0
        while first < entries.count && entries[first].done {
            bytes += entries[first].bytes
            first += 1
        }
        if first == entries.count {
            entries.removeAll(keepingCapacity: true)
            first = 0
        }
        return bytes
    }
}
