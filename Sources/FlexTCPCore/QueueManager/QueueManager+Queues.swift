/// The queue manager's internals: the intrusive lists, the timing wheel and the pacing charge.
/// Every function here takes constant time.
extension QueueManager {
    /// Queues an unlinked flow with bytes available: a limited flow on the wheel at its next send
    /// time, an unlimited one at the tail of the FIFO.
    mutating func requeue(_ flow: FlowIndex, now: UInt64) {
        if buckets[Int(flow)].isRateLimited {
            insertIntoWheel(flow, now: now)
        } else {
            append(flow, toList: Self.fifoList)
        }
    }

    /// Advances the flow's next send time by the interval `sentBytes` occupy at its rate, but never
    /// into the past: a late flow makes up the delay only within that interval.
    mutating func chargePacing(_ flow: FlowIndex, sentBytes: UInt64, now: UInt64) {
        let charge = PacingArithmetic.interval(
            bytes: sentBytes, scaledNanosecondsPerByte: buckets[Int(flow)].scaledNanosecondsPerByte,
            carriedFraction: buckets[Int(flow)].pacingFraction)
        let paced = PacingArithmetic.saturatingSum(buckets[Int(flow)].nextSendTime, charge.nanoseconds)
        buckets[Int(flow)].nextSendTime = max(paced, now)
        buckets[Int(flow)].pacingFraction = charge.fraction
    }

    /// Puts a rate-limited flow into the slot of its next send time, clamped to the wheel's window
    /// (a flow due beyond the horizon goes into the last slot).
    mutating func insertIntoWheel(_ flow: FlowIndex, now: UInt64) {
        advanceCursor(toward: now >> UInt64(slotDurationLog2))
        let dueSlot = buckets[Int(flow)].nextSendTime >> UInt64(slotDurationLog2)
        let slot = min(max(dueSlot, cursorSlot), cursorSlot + UInt64(SlotOccupancy.slotCount - 1))
        let position = Int(slot & UInt64(SlotOccupancy.slotCount - 1))
        append(flow, toList: position)
        occupancy.insert(position)
    }

    /// Moves the cursor as far toward `nowSlot` as it may go without passing an occupied slot, so
    /// that insertions are relative to the present.
    mutating func advanceCursor(toward nowSlot: UInt64) {
        let limit = firstOccupiedSlot().map { min($0, nowSlot) } ?? nowSlot
        cursorSlot = max(cursorSlot, limit)
    }

    /// The absolute slot number of the first occupied wheel slot at or after the cursor.
    func firstOccupiedSlot() -> UInt64? {
        guard !occupancy.isEmpty else { return nil }  // an empty wheel is the common case: no scan
        let mask = SlotOccupancy.slotCount - 1
        let cursorPosition = Int(cursorSlot & UInt64(mask))
        guard let position = occupancy.firstOccupied(circularlyFrom: cursorPosition) else { return nil }
        return cursorSlot + UInt64((position - cursorPosition) & mask)
    }

    /// Unlinks and returns the first rate-limited flow whose send time has come (at slot
    /// granularity). Flows that were parked in the horizon slot and are not yet due are re-slotted.
    mutating func popDueRateLimited(nowSlot: UInt64) -> FlowIndex? {
        while let slot = firstOccupiedSlot(), slot <= nowSlot {
            cursorSlot = slot
            let flow = lists[Int(slot & UInt64(SlotOccupancy.slotCount - 1))].head
            unlink(flow)
            if buckets[Int(flow)].nextSendTime >> UInt64(slotDurationLog2) <= nowSlot { return flow }
            insertIntoWheel(flow, now: nowSlot << UInt64(slotDurationLog2))
        }
        cursorSlot = max(cursorSlot, nowSlot)
        return nil
    }

    mutating func popFirstUnlimited() -> FlowIndex? {
        let flow = lists[Self.fifoList].head
        guard flow != FlowList.end else { return nil }
        unlink(flow)
        return flow
    }

    func append(_ flow: FlowIndex, toList list: Int) {
        let oldTail = lists[list].tail
        buckets[Int(flow)].previous = oldTail
        buckets[Int(flow)].next = FlowList.end
        buckets[Int(flow)].list = UInt16(list)
        if oldTail == FlowList.end { lists[list].head = flow } else { buckets[Int(oldTail)].next = flow }
        lists[list].tail = flow
    }

    /// Removes the flow from the list it is in; clears the slot's occupancy when it empties.
    mutating func unlink(_ flow: FlowIndex) {
        let list = Int(buckets[Int(flow)].list)
        let previous = buckets[Int(flow)].previous
        let next = buckets[Int(flow)].next
        if previous == FlowList.end { lists[list].head = next } else { buckets[Int(previous)].next = next }
        if next == FlowList.end { lists[list].tail = previous } else { buckets[Int(next)].previous = previous }
        buckets[Int(flow)].list = FlowList.unlinked
        buckets[Int(flow)].next = FlowList.end
        buckets[Int(flow)].previous = FlowList.end
        if list != Self.fifoList && lists[list].isEmpty { occupancy.remove(list) }
    }
}
