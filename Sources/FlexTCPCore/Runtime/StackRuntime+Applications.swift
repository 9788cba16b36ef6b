import FlexPort

// Service mode: applications attach to groups of contexts (`ContextRegion.contextsPerGroup`) and
// leave, by exiting or crashing; the runtime resets what they held and their memory is reused.
extension StackRuntime {
    /// What `resetApplication` tore down.
    package struct ApplicationReset: Equatable, Sendable {
        package var flowsReset = 0
        package var listenersClosed = 0
    }

    /// Caller-driven schedule only, between `step`s: the application on `contexts` is gone. Every
    /// connection bound to one of them is aborted (`applicationDetached`: an RST to its peer; one
    /// in TIME_WAIT just goes), every listener one of them opened is closed (its port free, its
    /// waiting connections reset).
    /// Their completions still go to the contexts' queues, which the caller drains and discards
    /// until `isIdle(contexts:)`; only then may the contexts be handed to another application.
    package func resetApplication(contexts: Range<Int>, now: UInt64) -> ApplicationReset {
        precondition(schedule == .callerDriven, "applications are reset between steps of a caller-driven runtime")
        endQuietRounds()
        var reset = ApplicationReset()
        let slowPath = slowPathContexts.slowPath
        for flow in 0..<configuration.flowCapacity {
            guard let binding = slowPath.binding(of: FlowIndex(flow)), contexts.contains(Int(binding.context)) else { continue }
            // TIME_WAIT: the peer is done; the connection just goes (an RST would tell it nothing).
            let resetSentAt = slowPath.state(of: FlowIndex(flow)) == .timeWait ? nil : now
            slowPath.abort(FlowIndex(flow), reason: .applicationDetached, resetSentAt: resetSentAt)
            reset.flowsReset += 1
        }
        for (identifier, listener) in slowPathContexts.listeners.enumerated() {
            guard let listener, contexts.contains(Int(listener.context)) else { continue }
            slowPathContexts.closeListener(UInt32(identifier), opaque: listener.opaque, context: listener.context, now: now)
            reset.listenersClosed += 1
        }
        slowPathContexts.takeConnectionEvents()
        slowPath.network.flushTransmits()
        return reset
    }

    /// True when nothing of the runtime refers to `contexts` any more: no connection bound to
    /// them, no completion, stream end, release or move waiting for them.
    package func isIdle(contexts: Range<Int>) -> Bool {
        let slowPath = slowPathContexts.slowPath
        for flow in 0..<configuration.flowCapacity {
            if let binding = slowPath.binding(of: FlowIndex(flow)), contexts.contains(Int(binding.context)) { return false }
        }
        return !contexts.contains { !slowPathContexts.outboxes[$0].isEmpty }
            && !slowPathContexts.streamEndsAfterAnnouncement.contains { contexts.contains(Int($0.context)) }
            && !fast.contexts.hasPending(for: contexts)
    }

    /// Caller-driven schedule only, between `step`s: the memory of `contexts` was replaced by new
    /// (zeroed) memory at the same address; their queue sets are formatted anew (the same layout,
    /// so the runtime's views stay valid) and the runtime's ends of them start over (no stale
    /// index, backlog or armed flag of the old memory survives).
    package func restartContexts(_ contexts: Range<Int>) throws(ContextQueueError) {
        precondition(schedule == .callerDriven, "contexts are restarted between steps of a caller-driven runtime")
        endQuietRounds()
        try region.format(contexts)
        for context in contexts {
            fast.contexts.endpoints[context].restart()
            slowPathContexts.restartEndpoint(context)
        }
    }

    /// Caller-driven schedule only, between `step`s: the runtime's rounds and idle sleeps look at
    /// `contexts` from now on (an application attached to them). A service-mode runtime starts
    /// serving none; an embedded one serves all.
    package func serve(contexts: Range<Int>) {
        precondition(schedule == .callerDriven, "served contexts change between steps of a caller-driven runtime")
        endQuietRounds()
        served.serve(contexts)
    }

    /// Caller-driven schedule only, between `step`s: the rounds stop looking at `contexts`, which
    /// must be idle (`isIdle(contexts:)`: their application gone and its leftovers drained).
    package func stopServing(contexts: Range<Int>) {
        precondition(schedule == .callerDriven, "served contexts change between steps of a caller-driven runtime")
        precondition(isIdle(contexts: contexts), "only idle contexts stop being served")
        served.stopServing(contexts)
    }

    /// How many contexts the rounds look at.
    package var servedContextCount: Int { served.count }

    /// Entries of `contexts` the runtime refused so far (malformed, or for flows they do not own):
    /// each was answered with a rejection entry. Counted since the contexts were last restarted.
    package func rejectedEntries(contexts: Range<Int>) -> UInt64 {
        contexts.reduce(0) { $0 &+ fast.contexts.endpoints[$1].rejectedEntries &+ slowPathContexts.requestEndpoints[$1].rejectedEntries }
    }

    /// Connections of the application on `contexts` that could not be installed because its ring
    /// pool (its connection and buffer-memory limit) was exhausted, since the runtime started.
    package func connectionLimitHits(contexts: Range<Int>) -> UInt64 {
        slowPathContexts.slowPath.ringAllocator.refusals(forContext: UInt16(contexts.lowerBound))
    }
}
