/// The one entry of a context's transmit queue (application → fast path): dissertation A.3
/// `send(id, n, nrx)`. Either count may be zero.
///
/// Contract: the fast path applies `freeBytes` (rxFree) before `sendBytes` (txSend); it rejects the
/// entry at the first part that fails, leaving the parts before it applied. It applies the entry
/// only while `opaque` is the flow's opaque (its delivery copy in the fast path): an application
/// may publish an entry for a connection the runtime has already ended — until it polls the
/// `closed` completion it still holds the connection — and the runtime may have installed another
/// connection of the same context at that flow index by the time it drains the entry; such an
/// entry is dropped (counted as stale), never applied to the new connection.
package struct TransmitRequest: Equatable, Sendable {
    package var flow: FlowIndex
    /// The opaque of the connection the application means (the one it was told in its completion).
    package var opaque: UInt64
    /// Bytes appended to the flow's transmit ring after those queued before.
    package var sendBytes: UInt32
    /// Bytes at the head of the flow's receive ring the application no longer needs.
    package var freeBytes: UInt32

    @inlinable
    package init(flow: FlowIndex, opaque: UInt64, sendBytes: UInt32 = 0, freeBytes: UInt32 = 0) {
        self.flow = flow
        self.opaque = opaque
        self.sendBytes = sendBytes
        self.freeBytes = freeBytes
    }

    @inlinable
    package func encode(to entry: UnsafeMutableRawPointer) {
        let bytes = EntryBytes(entry)
        bytes.begin(type: ContextQueueLayout.EntryType.update, size: ContextQueueLayout.dataEntrySize, word: flow)
        bytes.setWord(sendBytes, at: ContextQueueLayout.Update.sendBytesOffset)
        bytes.setWord(freeBytes, at: ContextQueueLayout.Update.freeBytesOffset)
        bytes.setDoubleWord(opaque, at: ContextQueueLayout.Update.opaqueOffset)
    }

    @inlinable
    package init(decoding entry: UnsafeRawPointer, length: Int) throws(ContextEntryError) {
        let bytes = EntryBytes(UnsafeMutableRawPointer(mutating: entry))
        let type = try bytes.header(length: length, size: ContextQueueLayout.dataEntrySize)
        guard type == ContextQueueLayout.EntryType.update else { throw .unknownType(type) }
        guard bytes.short(at: ContextQueueLayout.shortFieldOffset) == 0 else { throw .reservedBytesNotZero }
        try bytes.requireZero(from: ContextQueueLayout.Update.opaqueOffset + 8, to: ContextQueueLayout.dataEntrySize)
        self.init(flow: bytes.word(at: ContextQueueLayout.wordFieldOffset), opaque: bytes.doubleWord(at: ContextQueueLayout.Update.opaqueOffset),
                  sendBytes: bytes.word(at: ContextQueueLayout.Update.sendBytesOffset),
                  freeBytes: bytes.word(at: ContextQueueLayout.Update.freeBytesOffset))
    }
}
