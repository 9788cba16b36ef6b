import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// How far apart the server's and the client's CPUs are, as the round trip of one cache line
/// between them. On a VM the host may place the two vCPUs near (sharing a cache, ~100–150 ns) or
/// far (~500 ns) and change that over time; cross-core figures (busy-polling above all) follow it,
/// so every run records the state it ran in.
public struct CoreRoundTrip: Sendable, Equatable, CustomStringConvertible {
    /// The two placements a round trip is classified into.
    public enum State: String, Sendable, Codable {
        case near
        case far
    }

    /// Round trips at or above this many nanoseconds count as far.
    public static let farThreshold = 250.0

    /// Nanoseconds per round trip (the fastest batch's mean).
    public let nanoseconds: Double

    public init(nanoseconds: Double) { self.nanoseconds = nanoseconds }

    public var state: State { Self.classify(nanoseconds) }

    /// Near below `farThreshold`, far at or above it.
    public static func classify(_ nanoseconds: Double) -> State { nanoseconds < farThreshold ? .near : .far }

    /// Measures between the server's and the client's CPU: up to `batches` batches of `perBatch`
    /// ping-pongs within a second, the fastest batch (preemptions on a loaded machine only ever add
    /// to a batch, so the fastest is the placement's own figure). Nil on a machine with one CPU for
    /// both or when the threads could not be started or pinned or completed no batch.
    public static func measure(batches: Int = 40, perBatch: Int = 100) -> CoreRoundTrip? {
        let server = CPUPlacement.cpu(for: .server)
        let client = CPUPlacement.cpu(for: .client)
        guard server != client, batches > 0, perBatch > 0 else { return nil }
        var means = [Double](repeating: 0, count: batches)
        let measured = means.withUnsafeMutableBufferPointer { buffer in
            flexshim_core_round_trip(Int32(server), Int32(client), Int32(batches), Int32(perBatch), buffer.baseAddress)
        }
        guard measured > 0, let fastest = means.prefix(Int(measured)).min() else { return nil }
        return CoreRoundTrip(nanoseconds: fastest)
    }

    /// "near (105 ns)".
    public var description: String { "\(state.rawValue) (\(Int(nanoseconds.rounded())) ns)" }
}
