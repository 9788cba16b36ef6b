import FlexPort

/// The slow path's end of one context's queues: it takes the application's requests and posts
/// completions and connection events.
///
/// Contract: used by the slow path's thread only. `poll` decodes only the form of a request; a
/// request that does not decode is answered with a rejected event and counted per reason, and
/// the meaning of the fields (ports, listeners, flows of this context) is the slow path's to check,
/// answering with a status. `post` returns false when the event queue is full: the slow path keeps
/// the event and retries after `waitForRequests`, which then also wakes when room appears.
/// Events become visible at `flush()` (or when a batch fills).
package final class SlowPathContextEndpoint {
    package let context: UInt16
    private let requests: ContextEntryConsumer
    private let events: ContextEntryProducer
    private var rejections = RejectionLedger(entryType: ContextQueueLayout.EntryType.requestRejected)

    package init(queues: ContextQueues, signals: ContextQueueSignals, batchSize: Int = 16) {
        context = queues.context
        requests = ContextEntryConsumer(ring: queues.requests, signal: signals.slowPath,
                                        room: queues.roomRequest(.requests, producerSignal: signals.application), batchSize: batchSize)
        events = ContextEntryProducer(ring: queues.events, consumerSignal: signals.application,
                                      room: queues.roomRequest(.events, producerSignal: signals.slowPath), batchSize: batchSize)
    }

    /// Service mode: the context's queue set was formatted anew in place (its application's memory
    /// replaced): the endpoint starts over on it with no report or count of the old one.
    package func restart() {
        requests.restart()
        events.restart()
        rejections = RejectionLedger(entryType: ContextQueueLayout.EntryType.requestRejected)
    }

    /// Moves up to `entries.count` well-formed requests into `entries`; rejects the others.
    package func poll(into entries: UnsafeMutableBufferPointer<SlowPathRequest>) -> Int {
        rejections.retryPending(through: events)
        let stored = requests.take(into: entries) { entry, error in
            rejections.reject(EntryRejection(reason: RejectionReason(error), rejecting: entry), through: events)
        }
        rejections.rejectSkippedSlots(requests.takeSkippedSlots(), through: events)
        return stored
    }

    @discardableResult
    package func post(_ event: SlowPathEvent) -> Bool {
        guard let entry = events.nextEntry() else { return false }
        event.encode(to: entry)
        return true
    }

    package func flush() {
        rejections.retryPending(through: events)
        events.publish()
    }

    /// Asks the application for a signal once it frees event-queue room (for completions that
    /// wait for it); true if there is room already.
    package func requestRoom() -> Bool { events.requestRoom() }

    /// A rejection report waits for event-queue room (`flush` retries it).
    package var holdsRejection: Bool { rejections.pending != nil }

    /// Requests rejected so far (including repeats folded into one report).
    package var rejectedEntries: UInt64 { rejections.total }
    package func rejectedEntries(for reason: RejectionReason) -> UInt64 { rejections.count(for: reason) }

    /// Flushes, then sleeps until requests arrive, the event queue that was full has room, or
    /// `timeoutNanoseconds` pass. Returns false on timeout.
    package func waitForRequests(timeoutNanoseconds: Int64) -> Bool {
        flush()
        if events.isBlocked && events.requestRoom() { return true }
        return requests.waitForEntries(timeoutNanoseconds: timeoutNanoseconds)
    }
}
