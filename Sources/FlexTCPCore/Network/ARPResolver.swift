import FlexWire

/// What the caller of `ARPResolver.resolve` must do next.
enum ResolutionStep: Equatable {
    /// Send to this Ethernet address.
    case known(MACAddress)
    /// Send to this Ethernet address, and broadcast an ARP request now: the mapping was stale and
    /// is being re-resolved.
    case knownStale(MACAddress)
    /// A resolution started: broadcast an ARP request now; frames must wait.
    case started
    /// A resolution is in progress: frames must wait.
    case inProgress
    /// Every table entry is being resolved; no resolution can start.
    case cacheFull
}

/// What an ARP packet's sender addresses did to the table.
enum LearnOutcome: Equatable {
    /// Nothing: the sender was unknown and the packet was not for us (or the table was full of resolutions).
    case ignored
    /// An existing mapping was confirmed or changed.
    case updated
    /// A new mapping was added.
    case added
    /// A resolution in progress completed: the frames waiting in `slot` must be sent now.
    case resolved(slot: Int, requestsSent: Int, elapsed: UInt64)
}

/// Timer work `ARPResolver.nextDueAction` hands its caller.
enum ResolverAction: Equatable {
    /// Broadcast another ARP request for the address.
    case sendRequest(IPv4Address)
    /// The last request went unanswered: the mapping was removed and its waiting frames dropped.
    case failed(IPv4Address, requestsSent: Int, droppedFrames: Int)
}

/// ARP resolution over an `ARPCache`: starts and retries resolutions with doubling waits, keeps the
/// frames waiting for them, and learns from ARP packets by the merge rule of RFC 826. It sends
/// nothing itself: its answers tell the caller which ARP requests to send and when frames may go.
///
/// Contract: all time is the caller's `now` (nanoseconds, never decreasing); there are no timers,
/// and `nextDueAction(now:)` must be called until it returns nil whenever `now` reaches
/// `nextDeadline`. No allocation after `init`. One thread.
final class ARPResolver {
    let configuration: ARPConfiguration
    private(set) var cache: ARPCache
    private let waitingFrames: WaitingFramePool
    /// No resolution is due before this time (`UInt64.max` when none is in progress).
    private(set) var nextDeadline: UInt64 = .max

    init(configuration: ARPConfiguration, frameCapacity: Int) {
        self.configuration = configuration
        cache = ARPCache(capacity: configuration.cacheCapacity, reachableTime: configuration.reachableTime)
        waitingFrames = WaitingFramePool(capacity: configuration.waitingFrameCapacity, frameCapacity: frameCapacity)
    }

    /// Looks `address` up, starting a resolution when it is unknown or a re-resolution when stale.
    func resolve(_ address: IPv4Address, now: UInt64) -> ResolutionStep {
        guard let index = cache.index(of: address) else {
            let slot = NeighbourSlot(phase: .incomplete, hardwareAddress: .zero, updatedAt: now)
            guard let index = cache.add(address, slot) else { return .cacheFull }
            noteRequestSent(inSlot: index, now: now)
            return .started
        }
        let slot = cache[index]
        switch slot.phase {
        case .incomplete:
            return .inProgress
        case .probing:
            return .known(slot.hardwareAddress)
        case .known where cache.isReachable(slot, now: now):
            return .known(slot.hardwareAddress)
        case .known:
            cache[index].phase = .probing
            cache[index].requestsSent = 0
            noteRequestSent(inSlot: index, now: now)
            return .knownStale(slot.hardwareAddress)
        }
    }

    /// Keeps a copy of `frame` until the resolution of `address` (in progress) ends. False when the
    /// address is not being resolved, its queue is full, or no buffer is free.
    func enqueue(_ frame: UnsafeRawBufferPointer, for address: IPv4Address) -> Bool {
        guard let index = cache.index(of: address), cache[index].phase == .incomplete,
              cache[index].waiting.count < configuration.waitingFramesPerNeighbour else { return false }
        return waitingFrames.append(frame, to: &cache[index].waiting)
    }

    /// Applies an ARP packet's sender addresses (RFC 826): an existing mapping is updated from any
    /// packet; a new one is created only when `createIfMissing` (we are the packet's target).
    func learn(_ address: IPv4Address, at hardwareAddress: MACAddress, now: UInt64, createIfMissing: Bool) -> LearnOutcome {
        guard let index = cache.index(of: address) else {
            guard createIfMissing,
                  cache.add(address, NeighbourSlot(phase: .known, hardwareAddress: hardwareAddress, updatedAt: now)) != nil
            else { return .ignored }
            return .added
        }
        let previous = cache[index]
        cache[index].phase = .known
        cache[index].hardwareAddress = hardwareAddress
        cache[index].updatedAt = now
        cache[index].requestsSent = 0
        cache[index].nextRequestAt = .max
        guard previous.phase == .incomplete else { return .updated }
        let elapsed = now >= previous.updatedAt ? now - previous.updatedAt : 0
        return .resolved(slot: index, requestsSent: previous.requestsSent, elapsed: elapsed)
    }

    /// The first frame still waiting in `slot` after its resolution completed, or nil.
    func firstWaitingFrame(inSlot index: Int) -> UnsafeRawBufferPointer? {
        waitingFrames.first(of: cache[index].waiting)
    }

    /// Gives the first waiting frame of `slot` back to the pool.
    func removeFirstWaitingFrame(inSlot index: Int) {
        waitingFrames.removeFirst(from: &cache[index].waiting)
    }

    /// The next retry or failure due by `now`, or nil when nothing is due.
    func nextDueAction(now: UInt64) -> ResolverAction? {
        guard now >= nextDeadline else { return nil }
        var earliest = UInt64.max
        for index in 0..<cache.capacity where cache.isOccupied(index) && cache[index].isResolving {
            let slot = cache[index]
            guard slot.nextRequestAt <= now else {
                earliest = min(earliest, slot.nextRequestAt)
                continue
            }
            let address = cache.address(at: index)
            guard slot.requestsSent >= configuration.requestAttempts else {
                noteRequestSent(inSlot: index, now: now)
                return .sendRequest(address)
            }
            let dropped = waitingFrames.removeAll(from: &cache[index].waiting)
            cache.remove(at: index)
            return .failed(address, requestsSent: slot.requestsSent, droppedFrames: dropped)
        }
        nextDeadline = earliest
        return nil
    }

    /// Counts a request for `slot` sent at `now` and schedules the next one.
    private func noteRequestSent(inSlot index: Int, now: UInt64) {
        cache[index].requestsSent += 1
        cache[index].nextRequestAt = now + configuration.retryInterval(afterRequest: cache[index].requestsSent)
        nextDeadline = min(nextDeadline, cache[index].nextRequestAt)
    }
}
