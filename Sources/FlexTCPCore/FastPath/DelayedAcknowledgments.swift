/// The flows whose pure ACK the fast path holds back so that it can ride on the application's
/// answer, for at most one transmit step after the one in whose round the data arrived.
///
/// RFC 9293 §3.8.6.3 (RFC 1122 §4.2.3.2) lets a receiver delay an ACK (by less than 0.5 s, and
/// ACK at least every second full-sized segment); the fast path delays it far less, by one poll
/// round, and only for an in-order segment with no ACK owed yet — the second segment (so at least
/// every second one is ACKed), out-of-order data, a gap filled, a FIN, a CE mark or a D-SACK are
/// ACKed at once (RFC 5681 §4.2, RFC 3168, RFC 2883).
///
/// Contract: `FlowState.acknowledgmentOwed` says whether a flow's ACK is held; an entry whose
/// flow had its owed ACK sent meanwhile (on a data segment or an immediate ACK) is skipped.
/// Holds at most `capacity` entries; `hold` returns false when full (the caller ACKs at once).
struct DelayedAcknowledgments: ~Copyable {
    private let entries: UnsafeMutablePointer<FlowIndex>
    let capacity: Int
    private(set) var count = 0
    /// Entries `0..<dueCount` were held before the current round: the next `takeDue` returns them.
    private var dueCount = 0

    init(capacity: Int) {
        self.capacity = capacity
        entries = .allocate(capacity: capacity)
    }

    deinit { entries.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// Some flow was held before the current round: the next `takeDue` has an ACK to send.
    var hasDue: Bool { dueCount > 0 }

    /// Remembers that `flow` owes an ACK; false (nothing remembered) when full.
    mutating func hold(_ flow: FlowIndex) -> Bool {
        guard count < capacity else { return false }
        entries[count] = flow
        count &+= 1
        return true
    }

    /// Calls `body` with every flow held, due or not, and forgets them.
    mutating func takeAll(_ body: (FlowIndex) -> Void) {
        for index in 0..<count { body(entries[index]) }
        count = 0
        dueCount = 0
    }

    /// Calls `body` with each flow held since before this round, then starts the next round: the
    /// flows held during this one become due.
    mutating func takeDue(_ body: (FlowIndex) -> Void) {
        for index in 0..<dueCount { body(entries[index]) }
        let heldThisRound = count &- dueCount
        if dueCount > 0 {
            for index in 0..<heldThisRound { entries[index] = entries[dueCount &+ index] }
        }
        count = heldThisRound
        dueCount = heldThisRound
    }
}
