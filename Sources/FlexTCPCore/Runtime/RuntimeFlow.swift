/// What a `StackRuntime` knows about one flow index that the slow path cannot: how far the
/// application has been told about it (the completion protocol).
///
/// Contract: `phase` decides whether the fast path's events for the flow reach an application
/// (`open` only); before that the bytes wait in the receive ring and are announced in one event
/// when the flow opens (`StackRuntime` "announce"). Whose the flow is (context, opaque) is not kept
/// here: the slow path's connection record owns that binding (`SlowPath.binding(of:)`, changed with
/// `SlowPath.bind`), and the events after which the record is gone carry it.
struct RuntimeFlow {
    enum Phase: Equatable {
        case unused
        /// An open-connection request is under way (SYN sent).
        case connecting
        /// Established on a listener; waiting in its backlog for an accept.
        case awaitingAccept(listener: Int)
        /// Accepted or connected; the completion waits in the context's outbox for room.
        case announcing
        /// The application knows the flow: its events go to `context`'s receive queue.
        case open
    }

    var phase = Phase.unused
    /// The peer's FIN arrived before the flow opened: the end of stream follows the announcement.
    var peerFinished = false

    /// The application knows the flow (or is about to): it may close it and will hear it closed.
    var isKnownToApplication: Bool { phase == .open || phase == .announcing }
}

/// A listener opened by an application: where its connections wait and who waits for them.
struct RuntimeListener {
    let port: UInt16
    let context: UInt16
    let opaque: UInt64
    /// Accept requests not yet matched with a connection, oldest first.
    var accepts: [(context: UInt16, opaque: UInt64)] = []
}

/// A completion waiting for room in a context's event queue; `announces` names the flow whose
/// open it reports (its bytes are announced once the completion is in the queue).
struct OutboxEntry {
    var event: SlowPathEvent
    var announces: AnnouncedFlow?
}

/// The flow an `accepted`/`connected` completion opens, with the opaque it was announced under.
///
/// Contract: the flow opens when the completion is posted only if the flow is still announcing
/// under this opaque in the completion's context: by then the connection may have ended and its
/// index been reused by another, whose own completion opens it.
struct AnnouncedFlow: Equatable {
    var flow: FlowIndex
    var opaque: UInt64
}

/// The end of a flow's byte stream, to post on its receive queue once no event of the flow is
/// pending there.
struct StreamEnd {
    var context: UInt16
    var opaque: UInt64
    var flow: FlowIndex
    var reason: CloseReason
}

/// A move request waiting until the old context's receive queue has no backlog.
struct PendingMove {
    var context: UInt16
    var flow: FlowIndex
    /// The flow's opaque when the move was asked for (a reused index is not moved).
    var opaque: UInt64
    var newContext: UInt16
}
