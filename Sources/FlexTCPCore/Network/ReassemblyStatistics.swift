/// Why the reassembler dropped a datagram in progress or refused a fragment.
package enum ReassemblyDropReason: Int, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// A fragment that cannot be part of any datagram: no payload, or a payload that is not a
    /// multiple of 8 bytes with more fragments to follow (counted per fragment).
    case malformed
    /// A fragment reaching past 65 535 bytes of datagram, or a datagram that would be longer than
    /// an IPv4 packet can be (counted per fragment, or per datagram when found at completion).
    case tooBig
    /// A fragment overlapping data already received (other than an exact duplicate): the whole
    /// datagram is dropped and its later fragments ignored until it times out (RFC 5722's rule).
    case overlap
    /// A last fragment that disagrees with the end already known, or data beyond that end: dropped
    /// like an overlap.
    case inconsistentEnd
    /// The datagram was not complete within the timeout.
    case timeout
    /// A new datagram found `maximumDatagrams` in progress and evicted the oldest.
    case tooManyDatagrams
    /// The byte budget: the oldest datagram was evicted to make room, or one that alone would
    /// exceed it was dropped.
    case overBudget
    /// A datagram in more than `maximumFragmentsPerDatagram` pieces.
    case tooManyFragments

    package var description: String {
        switch self {
        case .malformed: "malformed fragment"
        case .tooBig: "datagram too big"
        case .overlap: "overlapping fragments"
        case .inconsistentEnd: "inconsistent datagram end"
        case .timeout: "reassembly timeout"
        case .tooManyDatagrams: "too many datagrams in progress"
        case .overBudget: "reassembly byte budget exceeded"
        case .tooManyFragments: "too many fragments"
        }
    }
}

/// What the IPv4 reassembler received, completed and dropped. Each drop reason counts drop
/// decisions: a refused fragment (malformed, too big) or an abandoned datagram (the others).
package struct ReassemblyStatistics: Hashable, Sendable {
    /// Fragments addressed to this host that reached the reassembler.
    package var fragmentsReceived: UInt64 = 0
    /// Datagrams completed and handed on as if they had arrived whole.
    package var datagramsReassembled: UInt64 = 0
    /// Fragments identical to one already held, ignored.
    package var duplicateFragments: UInt64 = 0
    /// Fragments of a datagram already dropped, ignored until it times out.
    package var fragmentsOfDroppedDatagrams: UInt64 = 0
    private var drops = Array(repeating: UInt64(0), count: ReassemblyDropReason.allCases.count)

    package init() {}

    /// The drops counted under `reason`.
    package internal(set) subscript(reason: ReassemblyDropReason) -> UInt64 {
        get { drops[reason.rawValue] }
        set { drops[reason.rawValue] = newValue }
    }

    /// All drops together.
    package var totalDrops: UInt64 { drops.reduce(0, &+) }

    /// The reasons with a non-zero count, in declaration order.
    package var nonZeroDrops: [(reason: ReassemblyDropReason, count: UInt64)] {
        ReassemblyDropReason.allCases.compactMap { drops[$0.rawValue] > 0 ? ($0, drops[$0.rawValue]) : nil }
    }
}
