import FlexPort
import FlexWire

/// What every pair-of-stacks test shares: one in-memory wire on a virtual clock, end A at
/// 198.18.0.1 and end B at 198.18.0.2 (/24), each end's port optionally impaired by a
/// `LinkEmulator` (on the same clock), A's optionally a `SuperSegmentPort`, and the bounded round
/// loop that advances virtual time.
///
/// Contract: nothing here runs on its own: time moves only in `run` (or by the test through
/// `clock`), so a test on it does the same thing on every run.
public final class TestWire {
    /// End A's and end B's IPv4 address.
    public static let addressA = IPv4Address(198, 18, 0, 1)
    public static let addressB = IPv4Address(198, 18, 0, 2)
    /// The two ends' interfaces, "A.B.C.D/P".
    public static let interfaceA = "198.18.0.1/24"
    public static let interfaceB = "198.18.0.2/24"
    /// One millisecond in the clock's nanoseconds.
    public static let millisecond: UInt64 = 1_000_000

    /// The virtual clock of the ends and of their link emulators.
    public let clock: VirtualTimeSource
    /// The wire itself (end `a` is A's, end `b` B's), for tests that write or read frames by hand.
    public let wire: MemoryWire
    /// The ports the ends' stacks use: the wire's ends, wrapped as configured.
    public let portA: any Port
    public let portB: any Port

    /// A wire of `capacity` slots each way. `impairment` wraps both ends in link emulators (B's
    /// seed one more than A's) unless `impairmentOfB` gives B's own settings. With
    /// `superSegmentsUpTo`, the wire carries frames that long and A's port is a
    /// `SuperSegmentPort`: A sends 1514-byte frames but receives longer ones, as over AF_PACKET.
    /// Otherwise both ends send and receive frames of up to `frameLength` bytes.
    /// `trustsPartialChecksums` makes the wire waive checksums its senders leave partial.
    public init(capacity: Int = 4096, overflowCapacity: Int = 64, start: UInt64 = 1_000_000_000,
                impairment: LinkEmulatorSettings? = nil, impairmentOfB: LinkEmulatorSettings? = nil,
                superSegmentsUpTo superSegmentLength: Int? = nil, frameLength: Int = 1514, trustsPartialChecksums: Bool = false) throws {
        clock = VirtualTimeSource(start: start)
        wire = try MemoryWire(capacity: capacity, maximumFrameLength: superSegmentLength ?? frameLength, overflowCapacity: overflowCapacity,
                              trustsPartialChecksums: trustsPartialChecksums)
        let endA: any Port = superSegmentLength == nil ? wire.a : SuperSegmentPort(wrapping: wire.a)
        if let impairment {
            var settingsB = impairment
            settingsB.seed &+= 1
            portA = LinkEmulator(wrapping: endA, settings: impairment, timeSource: clock)
            portB = LinkEmulator(wrapping: wire.b, settings: impairmentOfB ?? settingsB, timeSource: clock)
        } else {
            portA = endA
            portB = wire.b
        }
    }

    /// The current virtual time.
    public var now: UInt64 { clock.now() }

    /// Runs `round` at the new virtual time after advancing it by `step`, round after round, until
    /// `done` holds (checked before each round), `round` returns false, or `maximumRounds` rounds
    /// ran. Returns whether `done` held.
    @discardableResult
    public func run(step: UInt64, maximumRounds: Int, until done: () -> Bool, round: (_ now: UInt64) -> Bool) -> Bool {
        for _ in 0..<maximumRounds {
            if done() { return true }
            clock.advance(by: step)
            guard round(now) else { return false }
        }
        return done()
    }
}
