/// A rejected entry, as reported back to its producer: why, and the rejected entry's identifying
/// bytes exactly as they were written (so the producer can tell which of its entries failed).
///
/// Contract: for a transmit-queue entry `flow`, `sendBytes` and `freeBytes` read the fields of an
/// update entry; for a request-queue entry `rejectedWord` is its flow, listener or address and
/// `opaque` its opaque. `repeats` counts further rejections folded into this report while the
/// queue back to the producer was full (their details are not kept).
package struct EntryRejection: Equatable, Sendable {
    package var reason: RejectionReason
    package var rejectedType: UInt8
    /// Bytes 4 ..< 8 of the rejected entry.
    package var rejectedWord: UInt32
    /// Bytes 8 ..< 16 of the rejected entry.
    package var rejectedDetail: UInt64
    package var repeats: UInt32

    package init(reason: RejectionReason, rejectedType: UInt8, rejectedWord: UInt32, rejectedDetail: UInt64, repeats: UInt32 = 0) {
        self.reason = reason
        self.rejectedType = rejectedType
        self.rejectedWord = rejectedWord
        self.rejectedDetail = rejectedDetail
        self.repeats = repeats
    }

    /// Describes the entry at `entry` (read as written, whatever it holds).
    init(reason: RejectionReason, rejecting entry: EntryBytes) {
        self.init(reason: reason, rejectedType: entry.byte(at: ContextQueueLayout.entryTypeOffset),
                  rejectedWord: entry.word(at: ContextQueueLayout.wordFieldOffset),
                  rejectedDetail: entry.doubleWord(at: ContextQueueLayout.opaqueOffset))
    }

    package var flow: FlowIndex { rejectedWord }
    package var sendBytes: UInt32 { UInt32(truncatingIfNeeded: rejectedDetail) }
    package var freeBytes: UInt32 { UInt32(truncatingIfNeeded: rejectedDetail >> 32) }
    package var opaque: UInt64 { rejectedDetail }

    /// Writes a rejected entry of type `type` in a queue of `size`-byte entries.
    func encode(to entry: EntryBytes, type: UInt8, size: Int) {
        entry.begin(type: type, size: size, short: reason.rawValue, word: rejectedWord, opaque: rejectedDetail)
        entry.setByte(rejectedType, at: ContextQueueLayout.Rejected.rejectedTypeOffset)
        entry.setWord(repeats, at: ContextQueueLayout.Rejected.repeatsOffset)
    }

    /// Reads a rejected entry whose header the caller has checked.
    init(decoding entry: EntryBytes, size: Int) throws(ContextEntryError) {
        try entry.requireZero(from: ContextQueueLayout.Rejected.rejectedTypeOffset + 1, to: ContextQueueLayout.Rejected.repeatsOffset)
        try entry.requireZero(from: ContextQueueLayout.Rejected.repeatsOffset + 4, to: size)
        self.init(reason: try entry.code(RejectionReason.self),
                  rejectedType: entry.byte(at: ContextQueueLayout.Rejected.rejectedTypeOffset),
                  rejectedWord: entry.word(at: ContextQueueLayout.wordFieldOffset),
                  rejectedDetail: entry.doubleWord(at: ContextQueueLayout.opaqueOffset),
                  repeats: entry.word(at: ContextQueueLayout.Rejected.repeatsOffset))
    }
}
