import FlexPort

/// The fast path's end of one context's queues: it posts flow events to the receive queue and
/// drains, validates and applies the transmit queue.
///
/// Contract: used by the fast path's thread only. Nothing is lost when the receive queue is full:
/// `post` then keeps the event in a per-flow backlog (`NotificationBacklog`) that merges later
/// events of the same flow, and `flush` posts the backlog first, before anything newer, as room
/// appears; if room is still missing, `flush` leaves the room-wanted flag set, so the application's
/// next poll signals the fast path's wake-up. Entries become visible to the application at
/// `flush()` (or when a batch fills): call it once after a round of `post` and
/// `drainTransmitQueue`. Every transmit entry is checked before it is applied: form, flow index
/// below the capacity, flow installed and owned by this context, byte counts that fit the rings.
/// A failing entry is answered with a rejected entry on the receive queue and counted per reason.
/// An entry whose opaque is not the flow's is stale (see `TransmitRequest`): dropped and counted
/// in `staleEntries`, not answered.
package final class FastPathContextEndpoint {
    package let context: UInt16
    private let receive: ContextEntryProducer
    private let transmit: ContextEntryConsumer
    private let backlog: NotificationBacklog
    private var rejections = RejectionLedger(entryType: ContextQueueLayout.EntryType.transmitRejected)
    /// Events that found the receive queue full (or a backlog ahead of them) and went to the backlog.
    package private(set) var deferredEvents: UInt64 = 0
    /// Transmit entries for a connection that no longer holds their flow index, dropped.
    package private(set) var staleEntries: UInt64 = 0

    /// `flowCapacity` is the fast path's; `batchSize` bounds the entries handled per ring access.
    package init(queues: ContextQueues, signals: ContextQueueSignals, flowCapacity: Int, batchSize: Int = 32) {
        context = queues.context
        receive = ContextEntryProducer(ring: queues.receive, consumerSignal: signals.application,
                                       room: queues.roomRequest(.receive, producerSignal: signals.fastPath), batchSize: batchSize)
        transmit = ContextEntryConsumer(ring: queues.transmit, signal: signals.fastPath,
                                        room: queues.roomRequest(.transmit, producerSignal: signals.application), batchSize: batchSize)
        backlog = NotificationBacklog(flowCapacity: flowCapacity)
    }

    /// Service mode: the context's queue set was formatted anew in place (its application's memory
    /// replaced): the endpoint starts over on it with no backlog, report or count of the old one.
    package func restart() {
        receive.restart()
        transmit.restart()
        backlog.removeAll()
        rejections = RejectionLedger(entryType: ContextQueueLayout.EntryType.transmitRejected)
        deferredEvents = 0
        staleEntries = 0
    }

    /// Queues `event` (of a flow of this context) for the application.
    package func post(_ event: FlowEvent) {
        if backlog.isEmpty, let entry = receive.nextEntry() {
            ReceiveQueueEntry.encodeReceived(event, to: EntryBytes(entry))
        } else {
            backlog.add(event)
            deferredEvents &+= 1
        }
    }

    /// Posts the end of a flow's byte stream, on the slow path's behalf. Returns false, posting
    /// nothing, while the flow still has a pending notification or the queue is full: the caller
    /// keeps the flow (and its index) and tries again after a later `flush`.
    package func postClosed(opaque: UInt64, flow: FlowIndex, reason: CloseReason) -> Bool {
        guard !backlog.isPending(flow), let entry = receive.nextEntry() else { return false }
        ReceiveQueueEntry.closed(opaque: opaque, flow: flow, reason: reason).encode(to: entry)
        return true
    }

    /// Publishes what was posted, the backlog first as far as room allows. Stops when room that
    /// seems to be there takes nothing, so a consumer faking room can never keep it looping.
    package func flush() {
        if hasBacklog { postBacklog() }
        receive.publish()
        while hasBacklog && receive.requestRoom() {
            postBacklog()
            guard receive.hasUnpublishedEntries else { return }
            receive.publish()
        }
    }

    /// Asks the application for a signal once it frees receive-queue room (for what waits for it:
    /// the backlog, or a stream end `postClosed` could not post); true if there is room already.
    package func requestRoom() -> Bool { receive.requestRoom() }

    /// Events or a rejection report wait for room in the receive queue.
    package var hasBacklog: Bool { !backlog.isEmpty || rejections.pending != nil }

    /// Entries were posted since the last `flush` (and are not visible yet), or a backlog waits:
    /// `flush` has something to do.
    package var hasUnpublishedEntries: Bool { receive.hasUnpublishedEntries || hasBacklog }

    /// Flows with a pending notification.
    package var backlogCount: Int { backlog.count }

    private func postBacklog() {
        rejections.retryPending(through: receive)
        while let event = backlog.first, let entry = receive.nextEntry() {
            ReceiveQueueEntry.encodeReceived(event, to: EntryBytes(entry))
            backlog.removeFirst()
        }
    }

    /// Validates and applies up to `maximumEntries` transmit entries, and never more than one ring's
    /// worth per call (a hostile producer index cannot keep the fast path here); returns how many it took.
    package func drainTransmitQueue<Target: TransmitQueueTarget>(into target: Target, now: UInt64, maximumEntries: Int = .max) -> Int {
        let limit = min(maximumEntries, transmit.ring.slotCount)
        var taken = 0
        // One read of the producer index per drain: what is published meanwhile waits for the next round.
        guard transmit.hasPending else { return 0 }
        while taken < limit, let entry = transmit.next() {
            taken &+= 1
            if let reason = apply(entry, to: target, now: now) {
                rejections.reject(EntryRejection(reason: reason, rejecting: EntryBytes(entry.bytes)), through: receive)
            }
        }
        transmit.releaseConsumed()
        rejections.rejectSkippedSlots(transmit.takeSkippedSlots(), through: receive)
        return taken
    }

    /// Applies one entry: free, then send. Returns why it failed, if it did.
    private func apply<Target: TransmitQueueTarget>(_ entry: Frame, to target: Target, now: UInt64) -> RejectionReason? {
        let request: TransmitRequest
        do {
            request = try TransmitRequest(decoding: entry.bytes, length: entry.length)
        } catch {
            return RejectionReason(error)
        }
        guard Int(request.flow) < target.flowCapacity else { return .flowOutOfRange }
        guard let delivery = target.delivery(ofInstalledFlow: request.flow) else { return .flowNotOwned }
        guard delivery.opaque == request.opaque else {
            staleEntries &+= 1
            return nil
        }
        guard delivery.context == context else { return .flowNotOwned }
        if request.freeBytes > 0 && !target.applicationFreed(flow: request.flow, bytes: request.freeBytes, now: now) {
            return .freeTooLarge
        }
        if request.sendBytes > 0 && !target.applicationQueued(flow: request.flow, bytes: request.sendBytes, now: now) {
            return .sendTooLarge
        }
        return nil
    }

    /// Transmit entries rejected so far (including repeats folded into one report).
    package var rejectedEntries: UInt64 { rejections.total }
    package func rejectedEntries(for reason: RejectionReason) -> UInt64 { rejections.count(for: reason) }

    /// Sleeps until transmit entries arrive, the application frees receive-queue room the fast path
    /// asked for (see `flush`), or `timeoutNanoseconds` pass. Returns false on timeout.
    package func waitForWork(timeoutNanoseconds: Int64) -> Bool {
        transmit.waitForEntries(timeoutNanoseconds: timeoutNanoseconds)
    }
}
