import FlexWire

/// One entry of a context's event queue (slow path → application): completions of requests and
/// connection events (dissertation A.4 listener and connection events).
///
/// Contract: `encode` writes all 48 bytes; `init(decoding:length:)` accepts exactly what `encode`
/// can produce and throws for anything else.
package enum SlowPathEvent: Equatable, Sendable {
    /// Completion of `openListener`; `listener` names it in `accept` when `status` is success.
    case listenerOpened(opaque: UInt64, listener: UInt32, status: SlowPathStatus)
    /// A connection arrived on the listener and waits to be accepted.
    case newConnection(listenerOpaque: UInt64, listener: UInt32, remoteAddress: IPv4Address, remotePort: UInt16)
    /// Completion of `accept`.
    case accepted(OpenedConnection)
    /// Completion of `openConnection`.
    case connected(OpenedConnection)
    /// The slow path is done with the flow; its index and rings may be reused from now on.
    case closed(opaque: UInt64, flow: FlowIndex, reason: CloseReason)
    /// Completion of `move`.
    case moved(opaque: UInt64, flow: FlowIndex, context: UInt16, status: SlowPathStatus)
    /// A request-queue entry of this context was not understood.
    case rejected(EntryRejection)
    /// Completion of `closeListener` (after the failed completions of the listener's waiting accepts).
    case listenerClosed(opaque: UInt64, listener: UInt32, status: SlowPathStatus)

    package func encode(to entry: UnsafeMutableRawPointer) {
        let bytes = EntryBytes(entry)
        let size = ContextQueueLayout.controlEntrySize
        switch self {
        case .listenerOpened(let opaque, let listener, let status):
            bytes.begin(type: ContextQueueLayout.EntryType.listenerOpened, size: size, short: status.rawValue, word: listener, opaque: opaque)
        case .newConnection(let listenerOpaque, let listener, let remoteAddress, let remotePort):
            bytes.begin(type: ContextQueueLayout.EntryType.newConnection, size: size, short: remotePort, word: listener, opaque: listenerOpaque)
            remoteAddress.store(to: bytes.base + ContextQueueLayout.NewConnection.remoteAddressOffset)
        case .accepted(let connection):
            connection.encode(to: bytes, type: ContextQueueLayout.EntryType.accepted)
        case .connected(let connection):
            connection.encode(to: bytes, type: ContextQueueLayout.EntryType.connected)
        case .closed(let opaque, let flow, let reason):
            bytes.begin(type: ContextQueueLayout.EntryType.flowClosed, size: size, short: reason.rawValue, word: flow, opaque: opaque)
        case .moved(let opaque, let flow, let context, let status):
            bytes.begin(type: ContextQueueLayout.EntryType.moved, size: size, short: status.rawValue, word: flow, opaque: opaque)
            bytes.setShort(context, at: ContextQueueLayout.Moved.contextOffset)
        case .rejected(let rejection):
            rejection.encode(to: bytes, type: ContextQueueLayout.EntryType.requestRejected, size: size)
        case .listenerClosed(let opaque, let listener, let status):
            bytes.begin(type: ContextQueueLayout.EntryType.listenerClosed, size: size, short: status.rawValue, word: listener, opaque: opaque)
        }
    }

    package init(decoding entry: UnsafeRawPointer, length: Int) throws(ContextEntryError) {
        let bytes = EntryBytes(UnsafeMutableRawPointer(mutating: entry))
        let size = ContextQueueLayout.controlEntrySize
        let type = try bytes.header(length: length, size: size)
        let word = bytes.word(at: ContextQueueLayout.wordFieldOffset)
        let opaque = bytes.doubleWord(at: ContextQueueLayout.opaqueOffset)
        switch type {
        case ContextQueueLayout.EntryType.listenerOpened:
            try bytes.requireZero(from: ContextQueueLayout.opaqueOffset + 8, to: size)
            self = .listenerOpened(opaque: opaque, listener: word, status: try bytes.code(SlowPathStatus.self))
        case ContextQueueLayout.EntryType.newConnection:
            try bytes.requireZero(from: ContextQueueLayout.NewConnection.remoteAddressOffset + 4, to: size)
            self = .newConnection(listenerOpaque: opaque, listener: word,
                                  remoteAddress: IPv4Address(loadingFrom: bytes.base + ContextQueueLayout.NewConnection.remoteAddressOffset),
                                  remotePort: bytes.short(at: ContextQueueLayout.shortFieldOffset))
        case ContextQueueLayout.EntryType.accepted:
            self = .accepted(try OpenedConnection(decoding: bytes))
        case ContextQueueLayout.EntryType.connected:
            self = .connected(try OpenedConnection(decoding: bytes))
        case ContextQueueLayout.EntryType.flowClosed:
            try bytes.requireZero(from: ContextQueueLayout.opaqueOffset + 8, to: size)
            self = .closed(opaque: opaque, flow: word, reason: try bytes.code(CloseReason.self))
        case ContextQueueLayout.EntryType.moved:
            try bytes.requireZero(from: ContextQueueLayout.Moved.contextOffset + 2, to: size)
            self = .moved(opaque: opaque, flow: word, context: bytes.short(at: ContextQueueLayout.Moved.contextOffset),
                          status: try bytes.code(SlowPathStatus.self))
        case ContextQueueLayout.EntryType.requestRejected:
            self = .rejected(try EntryRejection(decoding: bytes, size: size))
        case ContextQueueLayout.EntryType.listenerClosed:
            try bytes.requireZero(from: ContextQueueLayout.opaqueOffset + 8, to: size)
            self = .listenerClosed(opaque: opaque, listener: word, status: try bytes.code(SlowPathStatus.self))
        default:
            throw .unknownType(type)
        }
    }
}

/// The outcome of an accept or open-connection request: the flow and where its payload rings are.
///
/// Contract: when `status` is not success only `opaque` and `status` carry meaning (the rest is zero).
/// Ring offsets are into the payload region shared with the application; the receive ring holds
/// the bytes that `received` events point into, the transmit ring the bytes `send` announces.
package struct OpenedConnection: Equatable, Sendable {
    package var opaque: UInt64
    package var flow: FlowIndex
    package var status: SlowPathStatus
    package var receiveRingOffset: UInt32
    package var receiveRingSize: UInt32
    package var transmitRingOffset: UInt32
    package var transmitRingSize: UInt32
    package var remoteAddress: IPv4Address
    package var remotePort: UInt16
    package var localPort: UInt16
    /// Payload bytes per segment the connection sends (the MSS in use, as TCP_MAXSEG reports it).
    package var segmentSize: UInt16

    package init(opaque: UInt64, flow: FlowIndex, status: SlowPathStatus, receiveRingOffset: UInt32 = 0, receiveRingSize: UInt32 = 0,
                transmitRingOffset: UInt32 = 0, transmitRingSize: UInt32 = 0, remoteAddress: IPv4Address = .any,
                remotePort: UInt16 = 0, localPort: UInt16 = 0, segmentSize: UInt16 = 0) {
        self.opaque = opaque
        self.flow = flow
        self.status = status
        self.receiveRingOffset = receiveRingOffset
        self.receiveRingSize = receiveRingSize
        self.transmitRingOffset = transmitRingOffset
        self.transmitRingSize = transmitRingSize
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.localPort = localPort
        self.segmentSize = segmentSize
    }

    func encode(to entry: EntryBytes, type: UInt8) {
        entry.begin(type: type, size: ContextQueueLayout.controlEntrySize, short: status.rawValue, word: flow, opaque: opaque)
        entry.setWord(receiveRingOffset, at: ContextQueueLayout.Opened.receiveRingOffsetOffset)
        entry.setWord(receiveRingSize, at: ContextQueueLayout.Opened.receiveRingSizeOffset)
        entry.setWord(transmitRingOffset, at: ContextQueueLayout.Opened.transmitRingOffsetOffset)
        entry.setWord(transmitRingSize, at: ContextQueueLayout.Opened.transmitRingSizeOffset)
        remoteAddress.store(to: entry.base + ContextQueueLayout.Opened.remoteAddressOffset)
        entry.setShort(remotePort, at: ContextQueueLayout.Opened.remotePortOffset)
        entry.setShort(localPort, at: ContextQueueLayout.Opened.localPortOffset)
        entry.setShort(segmentSize, at: ContextQueueLayout.Opened.segmentSizeOffset)
    }

    init(decoding entry: EntryBytes) throws(ContextEntryError) {
        try entry.requireZero(from: ContextQueueLayout.Opened.segmentSizeOffset + 2, to: ContextQueueLayout.controlEntrySize)
        self.init(opaque: entry.doubleWord(at: ContextQueueLayout.opaqueOffset),
                  flow: entry.word(at: ContextQueueLayout.wordFieldOffset),
                  status: try entry.code(SlowPathStatus.self),
                  receiveRingOffset: entry.word(at: ContextQueueLayout.Opened.receiveRingOffsetOffset),
                  receiveRingSize: entry.word(at: ContextQueueLayout.Opened.receiveRingSizeOffset),
                  transmitRingOffset: entry.word(at: ContextQueueLayout.Opened.transmitRingOffsetOffset),
                  transmitRingSize: entry.word(at: ContextQueueLayout.Opened.transmitRingSizeOffset),
                  remoteAddress: IPv4Address(loadingFrom: entry.base + ContextQueueLayout.Opened.remoteAddressOffset),
                  remotePort: entry.short(at: ContextQueueLayout.Opened.remotePortOffset),
                  localPort: entry.short(at: ContextQueueLayout.Opened.localPortOffset),
                  segmentSize: entry.short(at: ContextQueueLayout.Opened.segmentSizeOffset))
    }
}
