/// Frames dropped by a network host, per reason.
package struct DropCounts: Hashable, Sendable {
    private var counts: [UInt64]

    init(counts: [UInt64]) {
        precondition(counts.count == DropReason.allCases.count, "one count per drop reason")
        self.counts = counts
    }

    package subscript(reason: DropReason) -> UInt64 { counts[reason.rawValue] }

    /// All drops together.
    package var total: UInt64 { counts.reduce(0, &+) }

    /// The reasons with a non-zero count, in declaration order.
    package var nonZero: [(reason: DropReason, count: UInt64)] {
        DropReason.allCases.compactMap { counts[$0.rawValue] > 0 ? ($0, counts[$0.rawValue]) : nil }
    }
}

/// What a network host has received, answered and sent, and what it dropped and why.
package struct NetworkHostStatistics: Hashable, Sendable {
    package var receivedFrames: UInt64 = 0
    package var arpRequestsAnswered: UInt64 = 0
    /// ARP replies addressed to this host that it learned from.
    package var arpRepliesReceived: UInt64 = 0
    /// ARP requests broadcast for resolutions, retries and re-resolutions.
    package var arpRequestsSent: UInt64 = 0
    /// Gratuitous ARP announcements of this host's own address.
    package var arpAnnouncementsSent: UInt64 = 0
    package var neighboursResolved: UInt64 = 0
    package var neighbourResolutionsFailed: UInt64 = 0
    package var echoRequestsAnswered: UInt64 = 0
    package var echoRequestsSent: UInt64 = 0
    package var echoRepliesReceived: UInt64 = 0
    package var echoRequestsTimedOut: UInt64 = 0
    /// Frames handed to `send` that went out (at once, or after their neighbour was resolved).
    package var framesSent: UInt64 = 0
    /// Events not recorded because the event log was full (see `drainEvents`).
    package var eventsLost: UInt64 = 0
    package var drops = DropCounts(counts: Array(repeating: 0, count: DropReason.allCases.count))
    /// IPv4 fragments received and datagrams reassembled, dropped datagrams by reason.
    package var reassembly = ReassemblyStatistics()

    package init() {}
}
