/// The NIC's four RMT pipelines, as the interconnect knows them (dissertation Figure 3.2).
public enum PipelineKind: Int, CaseIterable, Sendable {
    case receive, transmit, doorbell, dma

    /// This pipeline's bit in a reservation bitmap.
    public var bit: UInt8 { 1 << UInt8(rawValue) }
}

/// Who injects new packets into the interconnect; each reacts to back-pressure its own way.
public enum PacketSource: Int, CaseIterable, Sendable {
    /// Drops the packet (counted).
    case network
    /// Refuses the doorbell; the host must ring again (back-pressure reaches the CPU).
    case doorbell
    /// Holds the tokens and injects later.
    case queueManager
}

/// The interconnect between pipelines: a bounded queue per pipeline and admission by reservation
/// bitmap (dissertation §3.3): a new packet is admitted only if every pipeline it may still reach
/// has a free slot for it, so an admitted packet is never dropped later.
///
/// Contract: `reserved[p]` counts admitted packets that may still reach pipeline `p` (those queued
/// there included) and never exceeds `capacity[p]`; a packet's bitmap only loses bits after
/// admission. Not thread-safe (one simulation thread).
public final class Interconnect {
    /// An admitted packet: its id and the pipelines it may still reach.
    public struct Ticket: Equatable, Sendable {
        public let id: Int
        public fileprivate(set) var reservations: UInt8
    }

    /// The outcome of an attempt to inject a packet.
    public enum Admission: Equatable, Sendable {
        case admitted(Ticket)
        /// Network back-pressure: the packet was dropped (and counted).
        case dropped
        /// Doorbell back-pressure: refused, to be retried by the host.
        case refused
        /// Queue-manager back-pressure: not injected now; try again later.
        case delayed
    }

    public let capacity: [Int]
    /// The bitmap a new packet from each source starts with.
    public let initialReservations: [UInt8]
    public private(set) var reserved: [Int]
    private var queues: [[Ticket]]
    private var nextID = 0
    public private(set) var networkDrops: UInt64 = 0
    public private(set) var doorbellRefusals: UInt64 = 0
    public private(set) var queueManagerDelays: UInt64 = 0

    /// `capacity[p]` slots per pipeline; `initialReservations[s]` per `PacketSource`.
    public init(capacity: [Int], initialReservations: [UInt8]) {
        precondition(capacity.count == PipelineKind.allCases.count && initialReservations.count == PacketSource.allCases.count,
                     "one capacity per pipeline and one bitmap per source")
        self.capacity = capacity
        self.initialReservations = initialReservations
        reserved = Array(repeating: 0, count: capacity.count)
        queues = Array(repeating: [], count: capacity.count)
    }

    /// Packets waiting at `pipeline`.
    public func queued(at pipeline: PipelineKind) -> Int { queues[pipeline.rawValue].count }

    /// Injects a packet from `source` into the queue of `destination` (which must be in the source's bitmap).
    public func admit(from source: PacketSource, to destination: PipelineKind) -> Admission {
        let bitmap = initialReservations[source.rawValue]
        precondition(bitmap & destination.bit != 0, "the destination must be in the source's reservation bitmap")
        let fits = PipelineKind.allCases.allSatisfy { bitmap & $0.bit == 0 || reserved[$0.rawValue] < capacity[$0.rawValue] }
        guard fits else {
            switch source {
            case .network:
                networkDrops &+= 1
                return .dropped
            case .doorbell:
                doorbellRefusals &+= 1
                return .refused
            case .queueManager:
                queueManagerDelays &+= 1
                return .delayed
            }
        }
        for pipeline in PipelineKind.allCases where bitmap & pipeline.bit != 0 { reserved[pipeline.rawValue] += 1 }
        let ticket = Ticket(id: nextID, reservations: bitmap)
        nextID += 1
        queues[destination.rawValue].append(ticket)
        return .admitted(ticket)
    }

    /// Takes the oldest packet waiting at `pipeline`, if any.
    public func next(at pipeline: PipelineKind) -> Ticket? {
        queues[pipeline.rawValue].isEmpty ? nil : queues[pipeline.rawValue].removeFirst()
    }

    /// Moves a packet a pipeline finished with to `destination`, keeping reservations only for
    /// `stillReachable` (plus the destination); the released ones free their slots. The slot at the
    /// destination was reserved at admission, so this never fails.
    public func forward(_ ticket: Ticket, to destination: PipelineKind, stillReachable: UInt8) -> Ticket {
        precondition(ticket.reservations & destination.bit != 0, "a packet goes only where it holds a reservation")
        var moved = ticket
        moved.reservations = ticket.reservations & (stillReachable | destination.bit)
        release(ticket.reservations & ~moved.reservations)
        queues[destination.rawValue].append(moved)
        return moved
    }

    /// A packet leaves the NIC (sent, delivered to the host or dropped by a program): its
    /// reservations are released.
    public func finish(_ ticket: Ticket) { release(ticket.reservations) }

    private func release(_ bits: UInt8) {
        for pipeline in PipelineKind.allCases where bits & pipeline.bit != 0 { reserved[pipeline.rawValue] -= 1 }
    }
}
