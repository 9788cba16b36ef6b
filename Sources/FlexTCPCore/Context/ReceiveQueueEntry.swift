/// One entry of a context's receive queue (fast path → application), as `ContextQueueLayout`
/// lays it out.
///
/// Contract: `encode` writes all 32 bytes; `init(decoding:length:)` accepts exactly what `encode`
/// can produce and throws for anything else.
package enum ReceiveQueueEntry: Equatable, Sendable {
    /// New in-order bytes in the receive ring and/or bytes acknowledged in the transmit ring.
    case received(FlowEvent)
    /// The flow's byte stream ended; no further entry for the flow follows.
    case closed(opaque: UInt64, flow: FlowIndex, reason: CloseReason)
    /// A transmit-queue entry of this context was not applied.
    case rejected(EntryRejection)

    package func encode(to entry: UnsafeMutableRawPointer) {
        let bytes = EntryBytes(entry)
        switch self {
        case .received(let event):
            ReceiveQueueEntry.encodeReceived(event, to: bytes)
        case .closed(let opaque, let flow, let reason):
            bytes.begin(type: ContextQueueLayout.EntryType.closed, size: ContextQueueLayout.dataEntrySize,
                        short: reason.rawValue, word: flow, opaque: opaque)
        case .rejected(let rejection):
            rejection.encode(to: bytes, type: ContextQueueLayout.EntryType.transmitRejected, size: ContextQueueLayout.dataEntrySize)
        }
    }

    /// The hot case, without building an enum value.
    @inlinable
    static func encodeReceived(_ event: FlowEvent, to entry: EntryBytes) {
        entry.begin(type: ContextQueueLayout.EntryType.received, size: ContextQueueLayout.dataEntrySize,
                    short: event.context, word: event.flow, opaque: event.opaque)
        entry.setWord(event.receivedPosition, at: ContextQueueLayout.Received.positionOffset)
        entry.setWord(event.receivedBytes, at: ContextQueueLayout.Received.bytesOffset)
        entry.setWord(event.acknowledgedBytes, at: ContextQueueLayout.Received.acknowledgedOffset)
    }

    package init(decoding entry: UnsafeRawPointer, length: Int) throws(ContextEntryError) {
        let bytes = EntryBytes(UnsafeMutableRawPointer(mutating: entry))
        let size = ContextQueueLayout.dataEntrySize
        switch try bytes.header(length: length, size: size) {
        case ContextQueueLayout.EntryType.received:
            try bytes.requireZero(from: ContextQueueLayout.Received.acknowledgedOffset + 4, to: size)
            self = .received(FlowEvent(opaque: bytes.doubleWord(at: ContextQueueLayout.opaqueOffset),
                                       flow: bytes.word(at: ContextQueueLayout.wordFieldOffset),
                                       context: bytes.short(at: ContextQueueLayout.shortFieldOffset),
                                       receivedPosition: bytes.word(at: ContextQueueLayout.Received.positionOffset),
                                       receivedBytes: bytes.word(at: ContextQueueLayout.Received.bytesOffset),
                                       acknowledgedBytes: bytes.word(at: ContextQueueLayout.Received.acknowledgedOffset)))
        case ContextQueueLayout.EntryType.closed:
            try bytes.requireZero(from: ContextQueueLayout.opaqueOffset + 8, to: size)
            self = .closed(opaque: bytes.doubleWord(at: ContextQueueLayout.opaqueOffset),
                           flow: bytes.word(at: ContextQueueLayout.wordFieldOffset), reason: try bytes.code(CloseReason.self))
        case ContextQueueLayout.EntryType.transmitRejected:
            self = .rejected(try EntryRejection(decoding: bytes, size: size))
        case let type:
            throw .unknownType(type)
        }
    }
}
