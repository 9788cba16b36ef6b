/// What flextcpd has done since it started, for its log and for tests (the final `counters` line).
public struct ServiceCounters: Sendable, Equatable, CustomStringConvertible {
    /// Applications attached (each attach counted once).
    public var attached: UInt64 = 0
    /// Applications that hung up (exit, crash or detach) and were cleaned up.
    public var hungUp: UInt64 = 0
    /// Attaches refused because every application slot was taken.
    public var refusedFull: UInt64 = 0
    /// Connections refused because their application was at its connection (buffer-memory) limit.
    public var connectionLimitHits: UInt64 = 0
    /// Connections reset because their application went away (or the service shut down).
    public var flowsReset: UInt64 = 0
    /// Listeners closed because their application went away (or the service shut down).
    public var listenersClosed: UInt64 = 0
    /// Application memory regions unmapped and freed (replaced by new memory in the service).
    public var regionsFreed: UInt64 = 0
    /// Entries applications wrote that the service refused (each answered with an error entry).
    public var rejectedEntries: UInt64 = 0
    /// Applications attached now.
    public var attachedNow = 0
    /// Slots whose application left and whose connections are still being torn down.
    public var draining = 0

    public var description: String {
        "attached=\(attached) hungUp=\(hungUp) refusedFull=\(refusedFull) connectionLimitHits=\(connectionLimitHits) flowsReset=\(flowsReset) listenersClosed=\(listenersClosed) "
            + "regionsFreed=\(regionsFreed) rejectedEntries=\(rejectedEntries) attachedNow=\(attachedNow) draining=\(draining)"
    }
}
