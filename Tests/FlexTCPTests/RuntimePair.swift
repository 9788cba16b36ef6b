import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTestSupport
import FlexWire
import Foundation
import Synchronization

/// Two stack runtimes on one in-memory wire, each on its own threads in real time (for the tests
/// of the threaded schedules): a client at 198.18.0.1 and a server at 198.18.0.2, with the given
/// numbers of application contexts, both with the given threaded schedule.
final class RuntimePair {
    static let serverAddress = TestWire.addressB
    let link: TestWire
    let client: StackRuntime
    let server: StackRuntime

    init(clientContexts: Int = 1, serverContexts: Int = 1, schedule: StackRuntime.Schedule = .runToCompletion) throws {
        link = try TestWire()
        client = try TestRuntimes.make(port: link.portA, interface: TestWire.interfaceA, contextCount: clientContexts, schedule: schedule)
        server = try TestRuntimes.make(port: link.portB, interface: TestWire.interfaceB, contextCount: serverContexts, schedule: schedule)
        try client.start()
        try server.start()
    }

    func stop() {
        client.stop()
        server.stop()
    }
}

/// A flag one thread raises and others read.
final class SharedFlag: Sendable {
    private let raised = Atomic(false)
    func raise() { raised.store(true, ordering: .sequentiallyConsistent) }
    var isRaised: Bool { raised.load(ordering: .sequentiallyConsistent) }
}

/// Real-time bounds for the loops of the threaded tests.
struct Deadline {
    let end: UInt64
    private static let clock = MonotonicTimeSource()

    init(seconds: UInt64) { end = Deadline.clock.now() + seconds * 1_000_000_000 }
    var hasPassed: Bool { Deadline.clock.now() >= end }

    /// Sleeps in 1 ms steps until `flag` is raised or the deadline passes; returns whether it was raised.
    func wait(for flag: SharedFlag) -> Bool {
        while !flag.isRaised && !hasPassed { usleep(1000) }
        return flag.isRaised
    }
}

/// The test stream of connection `index`: byte `offset` of it.
func patternByte(connection index: Int, offset: Int) -> UInt8 {
    UInt8(truncatingIfNeeded: (offset &* 31) ^ (offset >> 9) ^ (index &* 101))
}
