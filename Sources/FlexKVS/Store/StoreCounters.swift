/// What a partition counts (memcached's `stats` fields that the store decides), summed over partitions.
public struct StoreCounters: Sendable, Equatable {
    public var currentItems: UInt64 = 0
    public var totalItems: UInt64 = 0
    /// Bytes of live items, memcached's accounting (key + value + 59).
    public var bytes: UInt64 = 0
    public var getCommands: UInt64 = 0
    public var getHits: UInt64 = 0
    public var getMisses: UInt64 = 0
    public var getExpired: UInt64 = 0
    public var setCommands: UInt64 = 0
    public var deleteHits: UInt64 = 0
    public var deleteMisses: UInt64 = 0
    public var incrementHits: UInt64 = 0
    public var incrementMisses: UInt64 = 0
    public var decrementHits: UInt64 = 0
    public var decrementMisses: UInt64 = 0
    public var casHits: UInt64 = 0
    public var casMisses: UInt64 = 0
    public var casBadValue: UInt64 = 0
    public var touchCommands: UInt64 = 0
    public var touchHits: UInt64 = 0
    public var touchMisses: UInt64 = 0
    public var evictions: UInt64 = 0
    /// Expired items whose memory was reclaimed (lazily or by compaction).
    public var reclaimed: UInt64 = 0
    /// Segments compacted in place.
    public var compactions: UInt64 = 0
    public var storeTooLarge: UInt64 = 0
    public var storeNoMemory: UInt64 = 0

    public init() {}

    /// Adds another partition's counts.
    mutating func add(_ other: StoreCounters) {
        currentItems &+= other.currentItems; totalItems &+= other.totalItems; bytes &+= other.bytes
        getCommands &+= other.getCommands; getHits &+= other.getHits; getMisses &+= other.getMisses
        getExpired &+= other.getExpired; setCommands &+= other.setCommands
        deleteHits &+= other.deleteHits; deleteMisses &+= other.deleteMisses
        incrementHits &+= other.incrementHits; incrementMisses &+= other.incrementMisses
        decrementHits &+= other.decrementHits; decrementMisses &+= other.decrementMisses
        casHits &+= other.casHits; casMisses &+= other.casMisses; casBadValue &+= other.casBadValue
        touchCommands &+= other.touchCommands; touchHits &+= other.touchHits; touchMisses &+= other.touchMisses
        evictions &+= other.evictions; reclaimed &+= other.reclaimed; compactions &+= other.compactions
        storeTooLarge &+= other.storeTooLarge; storeNoMemory &+= other.storeNoMemory
    }
}
