import FlexPort
import FlexTCPCore
import FlexTCPTools
import FlexWire

/// One end of a `StackPair`-style test: a stack stepped once per round at the round's virtual time.
public protocol PairEnd: AnyObject {
    /// One round of this end at `now`; true if it did anything.
    func runRound(now: UInt64) -> Bool
}

/// Which end of a `TestWire`: A (198.18.0.1) or B (198.18.0.2).
public enum PairSide: Sendable {
    case a, b

    /// The side's IPv4 address.
    public var address: IPv4Address { self == .a ? TestWire.addressA : TestWire.addressB }
    /// "A.B.C.D/24".
    public var interface: String { self == .a ? TestWire.interfaceA : TestWire.interfaceB }
}

/// Two ends of one kind on a `TestWire`: A on `link.portA` at 198.18.0.1, B on `link.portB` at
/// 198.18.0.2. Each round steps A, then B, then the test's own `after`.
public final class WirePair<End: PairEnd> {
    /// The wire, clock and round loop the ends share.
    public let link: TestWire
    /// The end at 198.18.0.1 and the end at 198.18.0.2.
    public let a: End
    public let b: End

    /// Builds each end from its port and side.
    public init(link: TestWire, makeEnd: (_ port: any Port, _ side: PairSide) throws -> End) throws {
        self.link = link
        a = try makeEnd(link.portA, .a)
        b = try makeEnd(link.portB, .b)
    }

    /// End A (198.18.0.1), the client of most tests, and end B (198.18.0.2), the server.
    package var client: End { a }
    package var server: End { b }

    /// The link's clock, wire and current virtual time.
    public var clock: VirtualTimeSource { link.clock }
    public var wire: MemoryWire { link.wire }
    public var now: UInt64 { link.now }

    /// Steps A and B, then `after(now)` (false: stop, failed), advancing virtual time by `step` per
    /// round, until `done` or `maximumRounds`; returns whether `done` held.
    @discardableResult
    public func run(step: UInt64 = 100_000, maximumRounds: Int = 100_000, after: (_ now: UInt64) -> Bool,
                    until done: () -> Bool = { false }) -> Bool {
        link.run(step: step, maximumRounds: maximumRounds, until: done) { now in
            _ = a.runRound(now: now)
            _ = b.runRound(now: now)
            return after(now)
        }
    }

    /// Steps both ends, then `round` (the contexts' turn), 100 µs of virtual time per round,
    /// until `done` or `maximumRounds` (200 s of virtual time by default); returns whether `done` held.
    @discardableResult
    package func run(maximumRounds: Int = 2_000_000, round: () -> Void, until done: () -> Bool) -> Bool {
        run(maximumRounds: maximumRounds, after: { _ in round(); return true }, until: done)
    }
}

/// An embedded stack (run to completion, `Stack.poll`) as a pair end.
extension Stack: PairEnd {
    public func runRound(now: UInt64) -> Bool { poll(now: now) }
}

/// A runtime stepped on the test's thread (never started) as a pair end.
extension StackRuntime: PairEnd {
    public func runRound(now: UInt64) -> Bool { step(now: now) }
}

/// The tools' caller-driven runtime loop, stepped round by round (not `run`) as a pair end.
extension RuntimeLoop: PairEnd {
    public func runRound(now: UInt64) -> Bool { runtime.step(now: now) }
}
