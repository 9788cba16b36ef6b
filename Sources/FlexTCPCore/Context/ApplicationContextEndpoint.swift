import Atomics
import FlexPort

/// The application library's end of one context's queues (dissertation A.4 context operations):
/// it polls flow events and slow-path events, queues send/free entries for the fast path and
/// requests for the slow path, and sleeps until something arrives.
///
/// Contract: used by one thread at a time (the context's). Send/free entries are published at the
/// next `flush`, `poll` or `wait` (or when a batch fills), requests at once. A `false` from
/// `submit`, `send` or `free` means the queue is full: nothing was queued; retry after a `poll`
/// or a `wait` (which then also wakes when room appears). `wait` never sleeps through an entry
/// published before or during it (armed flags, `ContextQueueLayout`). Entries that do not decode
/// (the service never writes them) are skipped and counted in `malformedEntries`.
///
/// Per flow, the library keeps what the fast path does not tell it: the transmit tail (where its
/// next outgoing byte goes) and how many bytes are unacknowledged. To send, it writes at the tail,
/// at most the transmit ring size minus the unacknowledged bytes, then queues `send(flow:bytes:)`;
/// each `received` event's acknowledged bytes make that much room again (this is A.4's
/// sendbuf_avail). Received bytes are read at the event's ring position and handed back with
/// `free(flow:bytes:)`, which reopens the window. The rings are where `OpenedConnection` says.
package final class ApplicationContextEndpoint {
    package let context: UInt16
    private let receive: ContextEntryConsumer
    private let transmit: ContextEntryProducer
    private let requests: ContextEntryProducer
    private let events: ContextEntryConsumer
    private let signal: WakeupSignal
    package private(set) var malformedEntries: UInt64 = 0

    package init(queues: ContextQueues, signals: ContextQueueSignals, batchSize: Int = 32) {
        context = queues.context
        signal = signals.application
        receive = ContextEntryConsumer(ring: queues.receive, signal: signals.application,
                                       room: queues.roomRequest(.receive, producerSignal: signals.fastPath), batchSize: batchSize)
        transmit = ContextEntryProducer(ring: queues.transmit, consumerSignal: signals.fastPath,
                                        room: queues.roomRequest(.transmit, producerSignal: signals.application), batchSize: batchSize)
        requests = ContextEntryProducer(ring: queues.requests, consumerSignal: signals.slowPath,
                                        room: queues.roomRequest(.requests, producerSignal: signals.application), batchSize: 1)
        events = ContextEntryConsumer(ring: queues.events, signal: signals.application,
                                      room: queues.roomRequest(.events, producerSignal: signals.slowPath), batchSize: batchSize)
    }

    /// Publishes queued send/free entries, then moves up to `entries.count` flow events into `entries`.
    package func poll(into entries: UnsafeMutableBufferPointer<ReceiveQueueEntry>) -> Int {
        transmit.publish()
        // Counted in a local: a closure that captures self costs a retain and release per poll.
        var malformed: UInt64 = 0
        let stored = receive.take(into: entries) { _, _ in malformed &+= 1 }
        malformedEntries &+= malformed &+ receive.takeSkippedSlots()
        return stored
    }

    /// No send/free entry waits to be published and neither a flow event nor a slow-path event
    /// is published: `poll`, `pollEvents` and `flush` would do nothing.
    package var isQuiet: Bool { !transmit.hasUnpublishedEntries && !receive.ring.hasUnconsumedEntries && !events.ring.hasUnconsumedEntries }

    /// Moves up to `entries.count` slow-path events into `entries`.
    package func pollEvents(into entries: UnsafeMutableBufferPointer<SlowPathEvent>) -> Int {
        var malformed: UInt64 = 0
        let stored = events.take(into: entries) { _, _ in malformed &+= 1 }
        malformedEntries &+= malformed &+ events.takeSkippedSlots()
        return stored
    }

    /// Queues a send/free entry for the fast path.
    @discardableResult
    package func submit(_ request: TransmitRequest) -> Bool {
        guard let entry = transmit.nextEntry() else { return false }
        request.encode(to: entry)
        return true
    }

    /// txSend: `bytes` more bytes were written into the transmit ring of the flow's connection `opaque`.
    @discardableResult
    package func send(flow: FlowIndex, opaque: UInt64, bytes: UInt32) -> Bool {
        submit(TransmitRequest(flow: flow, opaque: opaque, sendBytes: bytes))
    }

    /// rxFree: the application is done with `bytes` more received bytes of the flow's connection `opaque`.
    @discardableResult
    package func free(flow: FlowIndex, opaque: UInt64, bytes: UInt32) -> Bool {
        submit(TransmitRequest(flow: flow, opaque: opaque, freeBytes: bytes))
    }

    /// Sends a request to the slow path (published at once).
    @discardableResult
    package func submit(_ request: SlowPathRequest) -> Bool {
        guard let entry = requests.nextEntry() else { return false }
        request.encode(to: entry)
        requests.publish()
        return true
    }

    /// Publishes queued send/free entries.
    package func flush() { transmit.publish() }

    /// Flushes, then sleeps until a flow or slow-path event is available, a queue that was full
    /// has room, or `timeoutNanoseconds` pass. Returns false on timeout; true means "poll now"
    /// (rarely, a signal left over from an earlier round wakes it with nothing new).
    package func wait(timeoutNanoseconds: Int64) -> Bool {
        flush()
        if isReady { return true }
        guard timeoutNanoseconds > 0 else { return false }
        var ready = armForSleep()
        if !ready { ready = sleepArmed(timeoutNanoseconds: timeoutNanoseconds) }
        disarm()
        return ready || isReady
    }

    /// The first part of `wait` for a caller that sleeps without holding the endpoint (another
    /// thread may use it meanwhile, e.g. under the caller's lock): arms the wake-up and asks for
    /// room in a full queue. Returns true if something is ready already (then do not sleep).
    /// Call `disarm` afterwards, either way.
    package func armForSleep() -> Bool {
        receive.arm()
        events.arm()
        let roomAppeared = (transmit.isBlocked && transmit.requestRoom()) || (requests.isBlocked && requests.requestRoom())
        // Look again after arming: a producer that published before it saw `armed` is caught here.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        return roomAppeared || receive.hasPending || events.hasPending
    }

    /// Sleeps on the context's signal after `armForSleep` (false on timeout). It touches none of the
    /// endpoint's state, so it needs no lock that guards the endpoint.
    package func sleepArmed(timeoutNanoseconds: Int64) -> Bool { signal.wait(timeoutNanoseconds: timeoutNanoseconds) }

    /// Ends a sleep begun with `armForSleep`.
    package func disarm() {
        receive.disarm()
        events.disarm()
    }

    private var isReady: Bool {
        receive.hasPending || events.hasPending || (transmit.isBlocked && transmit.hasRoom) || (requests.isBlocked && requests.hasRoom)
    }
}
