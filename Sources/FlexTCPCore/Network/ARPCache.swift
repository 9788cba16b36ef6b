import FlexWire

/// The neighbour table of one interface: IPv4 address → Ethernet address, with each mapping's state.
///
/// Contract:
/// - Storage for `capacity` entries is allocated in `init`; nothing grows afterwards.
/// - Adding to a full table evicts the mapping updated longest ago (the lowest slot on ties) among
///   those not being resolved, so input from the network can never grow the table nor cancel a
///   resolution this host started. When every entry is being resolved nothing is added.
/// - A known mapping is `.reachable` for `reachableTime` after its last confirmation and `.stale`
///   afterwards; states derive from `now`, there are no timers.
/// - Lookups scan a dense array of addresses: tables are small, and without hashing there is no
///   input that makes a lookup slower than one scan.
/// - `now` is nanoseconds of the caller's monotonic clock.
package struct ARPCache {
    package let capacity: Int
    package let reachableTime: UInt64
    package private(set) var count = 0
    /// The address of each slot; 0.0.0.0, which is never a neighbour, marks a free slot.
    private var addresses: [IPv4Address]
    private var slots: [NeighbourSlot]

    package init(capacity: Int, reachableTime: UInt64) {
        precondition(capacity > 0, "an ARP cache needs room for at least one neighbour")
        self.capacity = capacity
        self.reachableTime = reachableTime
        addresses = Array(repeating: .any, count: capacity)
        slots = Array(repeating: NeighbourSlot(phase: .known, hardwareAddress: .zero, updatedAt: 0), count: capacity)
    }

    /// The mapping for `address`, or nil.
    package func neighbour(for address: IPv4Address, now: UInt64) -> Neighbour? {
        index(of: address).map { neighbour(at: $0, now: now) }
    }

    /// Every mapping, in slot order (allocates; for tools and tests).
    package func neighbours(now: UInt64) -> [Neighbour] {
        addresses.indices.filter { addresses[$0] != .any }.map { neighbour(at: $0, now: now) }
    }

    // MARK: Slots (for the resolver)

    /// The slot holding `address`, or nil.
    func index(of address: IPv4Address) -> Int? {
        guard address != .any else { return nil }
        return addresses.firstIndex(of: address)
    }

    func address(at index: Int) -> IPv4Address { addresses[index] }

    /// True for a slot that holds a neighbour.
    func isOccupied(_ index: Int) -> Bool { addresses[index] != .any }

    subscript(index: Int) -> NeighbourSlot {
        get { slots[index] }
        _modify { yield &slots[index] }
    }

    /// True while a known mapping is within its reachable time.
    func isReachable(_ slot: NeighbourSlot, now: UInt64) -> Bool {
        now < slot.updatedAt || now - slot.updatedAt < reachableTime
    }

    /// Stores `slot` for `address` (not yet in the table) in a free slot or in place of the oldest
    /// mapping not being resolved; returns the slot index, or nil when every entry is being resolved.
    mutating func add(_ address: IPv4Address, _ slot: NeighbourSlot) -> Int? {
        precondition(address != .any && index(of: address) == nil, "add needs a new, specified address")
        guard let index = addresses.firstIndex(of: .any) ?? oldestSettledIndex() else { return nil }
        if addresses[index] == .any { count += 1 }
        addresses[index] = address
        slots[index] = slot
        return index
    }

    /// Frees slot `index`.
    mutating func remove(at index: Int) {
        precondition(addresses[index] != .any, "remove needs an occupied slot")
        addresses[index] = .any
        count -= 1
    }

    private func oldestSettledIndex() -> Int? {
        var oldest: Int?
        for index in slots.indices where !slots[index].isResolving {
            if oldest.map({ slots[index].updatedAt < slots[$0].updatedAt }) ?? true { oldest = index }
        }
        return oldest
    }

    private func neighbour(at index: Int, now: UInt64) -> Neighbour {
        let slot = slots[index]
        let state: NeighbourState = switch slot.phase {
        case .incomplete: .incomplete
        case .probing: .probing
        case .known: isReachable(slot, now: now) ? .reachable : .stale
        }
        return Neighbour(address: addresses[index], hardwareAddress: slot.phase == .incomplete ? nil : slot.hardwareAddress,
                         state: state, updatedAt: slot.updatedAt)
    }
}
