import FlexWire

/// One entry of a context's request queue (application → slow path): the operations of
/// dissertation A.4. The slow path answers each with an event (`SlowPathEvent`).
///
/// Contract: `encode` writes all 48 bytes; `init(decoding:length:)` checks only the entry's form
/// (type, version, reserved bytes). What the fields mean — a free port, a listener of this context,
/// a flow this context owns — is for the slow path to check, answering with a status.
///
/// For the slow path: every request gets exactly one completion on the same context's event queue,
/// carrying the request's opaque (a `rejected` event if it did not decode, which
/// `SlowPathContextEndpoint.poll` sends itself). An `accept` completes with the oldest connection
/// waiting on the listener, or later with the next one to arrive; accepts complete in order.
/// `close` sends FIN after the data already queued and completes with `closed` once the flow is
/// removed from the fast path. `move` changes `FlowState.context` (through the fast path's thread,
/// so no event is posted to the old context after `moved`, and every one posted before is
/// published before it) and completes on the old context. `closeListener` stops the listener
/// (`SlowPath.closeListener`), fails its waiting accepts (`listenerClosed`) and completes with
/// `listenerClosed`.
/// A completion that finds the event queue full stays with the slow path until there is room.
package enum SlowPathRequest: Equatable, Sendable {
    /// Listen on `port`; answered by `listenerOpened`, then `newConnection` per arriving connection.
    case openListener(port: UInt16, backlog: UInt32, opaque: UInt64)
    /// Take the next pending connection of `listener`; answered by `accepted`.
    case accept(listener: UInt32, opaque: UInt64)
    /// Connect to `address`:`port`; answered by `connected`.
    case openConnection(address: IPv4Address, port: UInt16, opaque: UInt64)
    /// Close the flow (FIN after queued data); answered by `closed`.
    case close(flow: FlowIndex)
    /// Deliver the flow's events to another context from now on; answered by `moved` (on this context).
    case move(flow: FlowIndex, context: UInt16)
    /// Stop listening (the port is free again); answered by `listenerClosed`.
    case closeListener(listener: UInt32, opaque: UInt64)

    package func encode(to entry: UnsafeMutableRawPointer) {
        let bytes = EntryBytes(entry)
        let size = ContextQueueLayout.controlEntrySize
        switch self {
        case .openListener(let port, let backlog, let opaque):
            bytes.begin(type: ContextQueueLayout.EntryType.openListener, size: size, short: port, word: backlog, opaque: opaque)
        case .accept(let listener, let opaque):
            bytes.begin(type: ContextQueueLayout.EntryType.accept, size: size, word: listener, opaque: opaque)
        case .openConnection(let address, let port, let opaque):
            bytes.begin(type: ContextQueueLayout.EntryType.openConnection, size: size, short: port, opaque: opaque)
            address.store(to: bytes.base + ContextQueueLayout.wordFieldOffset)
        case .close(let flow):
            bytes.begin(type: ContextQueueLayout.EntryType.close, size: size, word: flow)
        case .move(let flow, let context):
            bytes.begin(type: ContextQueueLayout.EntryType.move, size: size, short: context, word: flow)
        case .closeListener(let listener, let opaque):
            bytes.begin(type: ContextQueueLayout.EntryType.closeListener, size: size, word: listener, opaque: opaque)
        }
    }

    package init(decoding entry: UnsafeRawPointer, length: Int) throws(ContextEntryError) {
        let bytes = EntryBytes(UnsafeMutableRawPointer(mutating: entry))
        let size = ContextQueueLayout.controlEntrySize
        let type = try bytes.header(length: length, size: size)
        guard ContextQueueLayout.EntryType.openListener...ContextQueueLayout.EntryType.closeListener ~= type else { throw .unknownType(type) }
        let short = bytes.short(at: ContextQueueLayout.shortFieldOffset)
        let word = bytes.word(at: ContextQueueLayout.wordFieldOffset)
        let opaque = bytes.doubleWord(at: ContextQueueLayout.opaqueOffset)
        try bytes.requireZero(from: ContextQueueLayout.opaqueOffset + 8, to: size)
        switch type {
        case ContextQueueLayout.EntryType.openListener:
            self = .openListener(port: short, backlog: word, opaque: opaque)
        case ContextQueueLayout.EntryType.accept:
            guard short == 0 else { throw .reservedBytesNotZero }
            self = .accept(listener: word, opaque: opaque)
        case ContextQueueLayout.EntryType.openConnection:
            self = .openConnection(address: IPv4Address(loadingFrom: bytes.base + ContextQueueLayout.wordFieldOffset),
                                   port: short, opaque: opaque)
        case ContextQueueLayout.EntryType.close:
            guard short == 0, opaque == 0 else { throw .reservedBytesNotZero }
            self = .close(flow: word)
        case ContextQueueLayout.EntryType.move:
            guard opaque == 0 else { throw .reservedBytesNotZero }
            self = .move(flow: word, context: short)
        case ContextQueueLayout.EntryType.closeListener:
            guard short == 0 else { throw .reservedBytesNotZero }
            self = .closeListener(listener: word, opaque: opaque)
        default:
            throw .unknownType(type)
        }
    }
}
