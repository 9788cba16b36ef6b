/// Counts the entries a consumer rejected, per reason, and reports them back to the producer on
/// the reverse queue. When that queue is full the first unreported rejection is held and later ones
/// are folded into its `repeats`, so reports are never lost and never need more than one slot.
///
/// Contract: used by the consumer's thread only; `entryType` is the rejected-entry type code of the
/// reverse queue.
struct RejectionLedger {
    let entryType: UInt8
    private var counts = [UInt64](repeating: 0, count: RejectionReason.allCases.count)
    private(set) var total: UInt64 = 0
    /// A report waiting for room in the reverse queue.
    private(set) var pending: EntryRejection?

    init(entryType: UInt8) {
        self.entryType = entryType
    }

    func count(for reason: RejectionReason) -> UInt64 { counts[Int(reason.rawValue) - 1] }

    /// Counts `rejection` (itself and its repeats) and reports it, or holds it if `reverse` is full.
    mutating func reject(_ rejection: EntryRejection, through reverse: ContextEntryProducer) {
        let rejected = 1 &+ UInt64(rejection.repeats)
        counts[Int(rejection.reason.rawValue) - 1] &+= rejected
        total &+= rejected
        if var held = pending {
            held.repeats = UInt32(clamping: UInt64(held.repeats) &+ rejected)
            pending = held
            return
        }
        pending = rejection
        retryPending(through: reverse)
    }

    /// Reports the held rejection if `reverse` has room now.
    mutating func retryPending(through reverse: ContextEntryProducer) {
        guard let held = pending, let entry = reverse.nextEntry() else { return }
        held.encode(to: EntryBytes(entry), type: entryType, size: reverse.entrySize)
        pending = nil
    }

    /// Rejects `skipped` slots the ring consumer dropped for a bad length (they carry nothing to quote).
    mutating func rejectSkippedSlots(_ skipped: UInt64, through reverse: ContextEntryProducer) {
        guard skipped > 0 else { return }
        reject(EntryRejection(reason: .wrongLength, rejectedType: 0, rejectedWord: 0, rejectedDetail: 0,
                              repeats: UInt32(clamping: skipped &- 1)), through: reverse)
    }
}
