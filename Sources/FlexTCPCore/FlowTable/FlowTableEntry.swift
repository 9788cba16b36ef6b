import FlexWire

/// One 16-byte slot of the flow table: a packed `FlowKey` and its flow index.
///
/// Contract: a slot whose `flow` is `FlowTableEntry.emptyFlow` is empty (its key is meaningless).
@usableFromInline
struct FlowTableEntry: Sendable {
    @usableFromInline static let emptyFlow = FlowIndex.max
    @usableFromInline static let empty = FlowTableEntry(addressWord: 0, portWord: 0, flow: emptyFlow)

    @usableFromInline var addressWord: UInt64
    @usableFromInline var portWord: UInt32
    @usableFromInline var flow: FlowIndex

    @inlinable
    init(addressWord: UInt64, portWord: UInt32, flow: FlowIndex) {
        self.addressWord = addressWord
        self.portWord = portWord
        self.flow = flow
    }

    @inlinable var isEmpty: Bool { flow == Self.emptyFlow }

    @inlinable
    func holds(_ key: FlowKey) -> Bool {
        addressWord == key.addressWord && portWord == key.portWord
    }

    var key: FlowKey {
        FlowKey(
            localAddress: IPv4Address(UInt32(truncatingIfNeeded: addressWord >> 32)),
            localPort: UInt16(truncatingIfNeeded: portWord >> 16),
            remoteAddress: IPv4Address(UInt32(truncatingIfNeeded: addressWord)),
            remotePort: UInt16(truncatingIfNeeded: portWord))
    }
}
