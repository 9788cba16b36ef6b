/// The one entry of a context's transmit queue (application → fast path): dissertation A.3
/// `send(id, n, nrx)`. Either count may be zero.
///
/// Contract: the fast path applies `freeBytes` (rxFree) before `sendBytes` (txSend); it rejects the
/// entry at the first part that fails, leaving the parts before it applied.
package struct TransmitRequest: Equatable, Sendable {
    package var flow: FlowIndex
    /// Bytes appended to the flow's transmit ring after those queued before.
    package var sendBytes: UInt32
    /// Bytes at the head of the flow's receive ring the application no longer needs.
    package var freeBytes: UInt32

    @inlinable
    package init(flow: FlowIndex, sendBytes: UInt32 = 0, freeBytes: UInt32 = 0) {
        self.flow = flow
        self.sendBytes = sendBytes
        self.freeBytes = freeBytes
    }

    @inlinable
    package func encode(to entry: UnsafeMutableRawPointer) {
        let bytes = EntryBytes(entry)
        bytes.begin(type: ContextQueueLayout.EntryType.update, size: ContextQueueLayout.dataEntrySize, word: flow)
        bytes.setWord(sendBytes, at: ContextQueueLayout.Update.sendBytesOffset)
        bytes.setWord(freeBytes, at: ContextQueueLayout.Update.freeBytesOffset)
    }

    @inlinable
    package init(decoding entry: UnsafeRawPointer, length: Int) throws(ContextEntryError) {
        let bytes = EntryBytes(UnsafeMutableRawPointer(mutating: entry))
        let type = try bytes.header(length: length, size: ContextQueueLayout.dataEntrySize)
        guard type == ContextQueueLayout.EntryType.update else { throw .unknownType(type) }
        guard bytes.short(at: ContextQueueLayout.shortFieldOffset) == 0 else { throw .reservedBytesNotZero }
        try bytes.requireZero(from: ContextQueueLayout.Update.freeBytesOffset + 4, to: ContextQueueLayout.dataEntrySize)
        self.init(flow: bytes.word(at: ContextQueueLayout.wordFieldOffset),
                  sendBytes: bytes.word(at: ContextQueueLayout.Update.sendBytesOffset),
                  freeBytes: bytes.word(at: ContextQueueLayout.Update.freeBytesOffset))
    }
}
