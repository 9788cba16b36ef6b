import FlexWire

/// The state of one neighbour-table mapping.
package enum NeighbourState: Hashable, Sendable {
    /// Being resolved: ARP requests are out, no Ethernet address yet; frames for it wait.
    case incomplete
    /// Confirmed less than the reachable time ago.
    case reachable
    /// Confirmed longer ago; still used, and re-resolved the next time it is used.
    case stale
    /// Stale and being re-resolved; the old Ethernet address is used meanwhile.
    case probing
}

/// One neighbour-table mapping, as the table reports it.
package struct Neighbour: Hashable, Sendable {
    package var address: IPv4Address
    /// nil while `.incomplete`.
    package var hardwareAddress: MACAddress?
    package var state: NeighbourState
    /// When the mapping was last confirmed, or, while `.incomplete`, when its resolution started.
    package var updatedAt: UInt64
}

/// The table's record of one neighbour, with the progress of a resolution in progress.
struct NeighbourSlot {
    enum Phase {
        /// No Ethernet address yet.
        case incomplete
        /// An Ethernet address; reachable or stale depending on `updatedAt`.
        case known
        /// A stale Ethernet address being re-resolved.
        case probing
    }

    var phase: Phase
    var hardwareAddress: MACAddress
    /// Confirmation time (known, probing) or resolution start (incomplete).
    var updatedAt: UInt64
    /// ARP requests sent by the resolution in progress.
    var requestsSent = 0
    /// When the resolution in progress sends its next request or fails.
    var nextRequestAt: UInt64 = .max
    /// Frames waiting for an incomplete resolution.
    var waiting = WaitingList()

    var isResolving: Bool { phase != .known }
}
