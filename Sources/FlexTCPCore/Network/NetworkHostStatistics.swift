/// Frames dropped by a network host, per reason.
public struct DropCounts: Hashable, Sendable {
    private var counts: [UInt64]

    init(counts: [UInt64]) {
        precondition(counts.count == DropReason.allCases.count, "one count per drop reason")
        self.counts = counts
    }

    public subscript(reason: DropReason) -> UInt64 { counts[reason.rawValue] }

    /// All drops together.
    public var total: UInt64 { counts.reduce(0, &+) }

    /// The reasons with a non-zero count, in declaration order.
    public var nonZero: [(reason: DropReason, count: UInt64)] {
        DropReason.allCases.compactMap { counts[$0.rawValue] > 0 ? ($0, counts[$0.rawValue]) : nil }
    }
}

/// What a network host has received, answered and sent, and what it dropped and why.
public struct NetworkHostStatistics: Hashable, Sendable {
    public var receivedFrames: UInt64 = 0
    public var arpRequestsAnswered: UInt64 = 0
    /// ARP replies addressed to this host that it learned from.
    public var arpRepliesReceived: UInt64 = 0
    /// ARP requests broadcast for resolutions, retries and re-resolutions.
    public var arpRequestsSent: UInt64 = 0
    /// Gratuitous ARP announcements of this host's own address.
    public var arpAnnouncementsSent: UInt64 = 0
    public var neighboursResolved: UInt64 = 0
    public var neighbourResolutionsFailed: UInt64 = 0
    public var echoRequestsAnswered: UInt64 = 0
    public var echoRequestsSent: UInt64 = 0
    public var echoRepliesReceived: UInt64 = 0
    public var echoRequestsTimedOut: UInt64 = 0
    /// Frames handed to `send` that went out (at once, or after their neighbour was resolved).
    public var framesSent: UInt64 = 0
    /// Events not recorded because the event log was full (see `drainEvents`).
    public var eventsLost: UInt64 = 0
    public var drops = DropCounts(counts: Array(repeating: 0, count: DropReason.allCases.count))
    /// IPv4 fragments received and datagrams reassembled, dropped datagrams by reason.
    public var reassembly = ReassemblyStatistics()

    public init() {}
}
